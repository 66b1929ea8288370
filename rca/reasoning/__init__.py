"""From findings to conclusions: baseline, deploys, the causal graph, the verdict and the whys.

Pure values in, values out: nothing here reads files, talks to the network or prints.
"""
