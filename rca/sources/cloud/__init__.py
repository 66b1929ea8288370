"""Cloud Logging: filters built from the library, paged and quota-aware fetching, the window cache."""
