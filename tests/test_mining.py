"""Specifications of rca.mining: masking, template mining, novelty, clustering, pattern drafts."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
import re2

from rca.mining.cluster import group_messages
from rca.mining.evaluate import grouping_accuracy, load_loghub
from rca.mining.mask import mask, tokens
from rca.mining.novelty import novelty, poisson_log_tail, poisson_surprise
from rca.mining.suggest import draft_pattern, slug, template_regex, to_yaml
from rca.mining.templates import TemplateMiner

LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub2k"

MASK_CASES = [
    # (why this row is here, input, expected)
    ("plain number", "retry 3 of 5", "retry <NUM> of <NUM>"),
    ("signed decimal", "offset -7.5 applied", "offset <NUM> applied"),
    ("number glued after underscore or dot", "blk_-1234 core.42", "blk_<NUM> core.<NUM>"),
    ("digits inside a word stay", "utf8 IPv4 log4j", "utf8 IPv4 log4j"),
    ("IPv4", "from 10.107.1.3 ok", "from <IP> ok"),
    ("IPv4 with port", "connect 10.107.1.3:5432", "connect <IP>"),
    ("IPv6 compressed", "peer fe80::1ff:fe23:4567:890a up", "peer <IP6> up"),
    ("IPv6 loopback with port", "bind [::1]:8080", "bind <IP6>"),
    ("C++ scope is not IPv6", "std::string a::b", "std::string a::b"),
    ("host:port", "dial db.internal:5432 failed", "dial <HOSTPORT> failed"),
    ("localhost:port", "listen localhost:8080", "listen <HOSTPORT>"),
    ("UUID", "req 3f2a9c1e-1b2c-4d5e-8f90-0123456789ab", "req <UUID>"),
    ("0x hex", "addr 0x7ffd1f", "addr <HEX>"),
    ("long hex with letters", "sha 9fceb02d0ae598e95dc970b74767f19372d61af8", "sha <HEX>"),
    ("long all-digit run is a number", "id 12345678901", "id <NUM>"),
    ("hex-looking word without digit stays", "deadbeef", "deadbeef"),
    ("URL", "GET https://api.example.com/v1/x?a=1 done", "GET <URL> done"),
    ("email", "mail alice@example.com sent", "mail <EMAIL> sent"),
    ("unix path", "open /var/log/app.log failed", "open <PATH> failed"),
    ("windows path", r"read C:\Users\x\a.txt", "read <PATH>"),
    ("duration glued", "took 8.0s and 120ms", "took <DURATION> and <DURATION>"),
    ("duration spaced", "waited 3 seconds", "waited <DURATION>"),
    ("size with equivalent", "sent 403 bytes (0.4 KB)", "sent <SIZE>"),
    ("size", "limit 512MiB", "limit <SIZE>"),
    ("ISO timestamp", "at 2024-05-01T12:00:03.123Z", "at <TS>"),
    ("date and time", "at 2024-05-01 12:00:03,123 start", "at <TS> start"),
    ("clock time", "at 12:00:03 start", "at <TIME> start"),
    ("single-token quote", "KeyError: 'user_id'", "KeyError: <QUOTED>"),
    ("apostrophes are not quotes", "can't connect, don't retry", "can't connect, don't retry"),
    (
        "quoted phrase is masked inside",
        'request "GET /a/b HTTP/1.1" 200',
        'request "GET <PATH> HTTP/<NUM>" <NUM>',
    ),
    ("whitespace kept", "a  1\tb", "a  <NUM>\tb"),
]


@pytest.mark.parametrize(("why", "text", "expected"), MASK_CASES, ids=[row[0] for row in MASK_CASES])
def test_mask_replaces_volatile_values(why: str, text: str, expected: str) -> None:
    """Each volatile value kind becomes its named placeholder and nothing else changes."""
    assert expected == mask(text)


def test_a_mask_never_matches_a_word_without_its_needs() -> None:
    """The masker skips the regex for a word that lacks every mask's needs (``_NEEDS``) and runs one
    alternation of all masks otherwise; both rest on this: no mask matches a word without its needed
    characters. Checked on every word of the library's example lines (and Loghub's, when present)."""
    import re

    from rca.library.loader import load_library
    from rca.mining import mask as masking

    lines = [line for p in load_library().patterns for line in (*p.examples_match, *p.examples_no_match)]
    loghub = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub2k"
    for path in sorted(loghub.glob("*/*_2k.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    words = {w for line in lines for w in masking._SPLIT_RE.split(line) if w.strip()}
    assert len(words) > 4_000  # the library alone has about 4,500
    for name, rx in masking._MASKS:
        needs_digit, needs_any = masking._NEEDS[name]
        compiled = re.compile(rx)
        for word in words:
            if compiled.search(word):
                assert not needs_digit or any(ch.isdigit() for ch in word), (name, word)
                assert not needs_any or any(part in word for part in needs_any), (name, word)


def test_tokens_split_masked_text_on_whitespace() -> None:
    """tokens() is mask() split on runs of whitespace."""
    assert tokens("connect  10.0.0.1:5432 after 8.0s") == ["connect", "<IP>", "after", "<DURATION>"]


def test_tokens_equal_the_masked_text_split_on_whitespace() -> None:
    """tokens() skips the re-split when no mask spans a space; it must give what splitting mask()'s
    text gives, on the mask cases, on spaced masks (a tab or double space does not join) and on
    Loghub's lines when present."""
    import re

    lines = [text for _, text, _ in MASK_CASES] + [
        "took 3 ms", "took 3\tms", "took 3  ms", " 5 bytes (0.4 KB) ", "at 2024-05-01 12:00:03 x", "<NUM> ms",
        "a> b", "", "   ", "x 4\u00a0KB",
    ]
    for path in sorted(LOGHUB.glob("*/*_2k.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in lines:
        assert tokens(line) == re.findall(r"\S+", mask(line)), line


VARIANTS = [
    "Connection to 10.0.0.1:5432 refused after 8.0s",
    "worker 12 started on port 8080",
    "Connection to 10.0.0.2:5432 refused after 12.5s",
    "worker 13 started on port 8081",
    "Connection to 10.0.0.3:5433 refused after 3s",
    "cache miss for key user_17",
    "cache miss for key user_18",
]


def test_miner_groups_variants_of_one_message() -> None:
    """Messages that differ only in values share a template; different messages do not."""
    miner = TemplateMiner()
    ids = [miner.add(message) for message in VARIANTS]
    assert ids == [1, 2, 1, 2, 1, 3, 3]


def test_miner_templates_carry_counts_and_positions() -> None:
    """templates() lists each template with its text, count and first/last message index."""
    miner = TemplateMiner()
    for message in VARIANTS:
        miner.add(message)
    first = miner.templates()[0]
    assert (first.text, first.count, first.first_index, first.last_index) == (
        "Connection to <IP> refused after <DURATION>",
        3,
        0,
        4,
    )


def test_miner_generalises_differing_word_to_wildcard() -> None:
    """A position that varies among otherwise equal messages becomes <*>."""
    miner = TemplateMiner()
    for user in ("alice", "bob", "carol"):
        miner.add(f"Accepted password for {user} from 10.0.0.1 port 22 ssh2")
    assert [t.text for t in miner.templates()] == ["Accepted password for <*> from <IP> port <NUM> ssh2"]


def test_miner_keeps_messages_with_different_constant_words_apart() -> None:
    """Messages sharing most words but differing in several constant words stay separate templates."""
    miner = TemplateMiner()
    a = miner.add("Received disconnect from 10.0.0.1: 11: Bye Bye [preauth]")
    b = miner.add("Received disconnect from 10.0.0.2: 11: disconnected by user")
    assert a != b


def test_miner_is_deterministic() -> None:
    """The same input in the same order gives identical ids and templates."""
    runs = []
    for _ in range(2):
        miner = TemplateMiner()
        runs.append(([miner.add(m) for m in VARIANTS * 3], miner.templates()))
    assert runs[0] == runs[1]


def _mined(messages: list[str], remember: int) -> tuple[list[int], list[object]]:
    miner = TemplateMiner(remember=remember)
    return [miner.add(m) for m in messages], list(miner.templates())


def test_remembered_destinations_change_nothing() -> None:
    """The miner's memory (each message's tokens, where each token list went) is only a shortcut:
    with none, with a memory cleared every few lists, and with the default, the ids and templates
    are the same, on the variants and (when present) on every Loghub system, whose templates
    generalise as they go."""
    from rca.mining.evaluate import LOGHUB_SYSTEMS

    logs = [VARIANTS * 3]
    if LOGHUB.is_dir():
        logs += [load_loghub(LOGHUB, system).contents for system in LOGHUB_SYSTEMS]
    for messages in logs:
        plain = _mined(messages, remember=0)
        assert _mined(messages, remember=3) == plain
        assert _mined(messages, remember=1 << 16) == plain


def test_grouping_accuracy_requires_identical_groups() -> None:
    """GA counts a message only when its predicted group equals its true group exactly."""
    assert grouping_accuracy([1, 1, 2, 2], ["a", "a", "b", "c"]) == 0.5


def _observations() -> list[tuple[int, float, bool]]:
    """Template 1 steady in both windows, 2 bursting in the incident, 3 only in the incident."""
    baseline = [(1, float(t), False) for t in range(0, 100, 10)] + [(2, 5.0, False)]
    incident = [(1, float(t), True) for t in range(100, 200, 10)]
    incident += [(2, 100.0 + t, True) for t in range(20)] + [(3, 150.0, True), (3, 160.0, True)]
    return baseline + incident


def test_novelty_flags_template_absent_from_baseline() -> None:
    """A template seen only in the incident window is new and ranked first."""
    ranked = novelty(_observations(), baseline_span_s=100.0, incident_span_s=100.0)
    assert (ranked[0].key, ranked[0].new, ranked[0].baseline_count, ranked[0].incident_count) == (
        3,
        True,
        0,
        2,
    )


def test_novelty_ranks_burst_above_steady() -> None:
    """Among templates seen in both windows the one whose rate jumped ranks above the steady one."""
    ranked = [item.key for item in novelty(_observations(), 100.0, 100.0)]
    assert ranked == [3, 2, 1]


def test_novelty_rates_use_window_spans() -> None:
    """Rates are counts divided by the window span."""
    steady = next(item for item in novelty(_observations(), 100.0, 50.0) if item.key == 1)
    assert (steady.baseline_rate, steady.incident_rate) == (0.1, 0.2)


def test_poisson_surprise_grows_with_unexpected_counts() -> None:
    """Seeing far more than expected is more surprising than seeing about the expectation."""
    assert poisson_surprise(20, 1.0) > poisson_surprise(2, 1.0) > 0.0 == poisson_surprise(0, 1.0)


def _decimal_log_tail(count: int, mu: float) -> float:
    """log P(X >= count), X ~ Poisson(mu), by summing the terms exactly in 60-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 60
        m = Decimal(mu)
        head, term = Decimal(0), (-m).exp()
        for j in range(count):
            head, term = head + term, term * m / (j + 1)
        if count < mu:
            return float((1 - head).ln())
        tail, j = Decimal(0), count
        while term >= tail * Decimal("1e-50"):
            tail, j = tail + term, j + 1
            term = term * m / j
        return float(tail.ln())


@pytest.mark.parametrize(("count", "mu"), [
    (1, 1.0), (2, 1.0), (20, 1.0), (5, 5.0), (3, 10.0), (7, 0.5), (50, 0.25), (1000, 500.0),
    (400, 400.0), (16, 15.5), (36, 80.0), (600, 700.0), (2500, 2400.0), (30000, 30500.0),
])
def test_poisson_log_tail_matches_exact_sums(count: int, mu: float) -> None:
    """The tail agrees with an exact decimal sum to near double precision, on both sides of the mean
    and across the series' range changes (16, 35, 80, 500)."""
    expected = _decimal_log_tail(count, mu)
    assert poisson_log_tail(count, mu) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_poisson_surprise_known_values() -> None:
    """Closed forms: P(X >= 1) = 1 - e^-mu; P(X >= 2 | mu = 1) = 1 - 2/e; a tail far beyond double range
    is still finite (120 events where 0.25 were expected: about 1e-271; 400: about 1e-1000)."""
    assert poisson_surprise(1, 1.0) == pytest.approx(-math.log10(1 - math.exp(-1)), rel=1e-13)
    assert poisson_surprise(1, 0.01) == pytest.approx(-math.log10(-math.expm1(-0.01)), rel=1e-13)
    assert poisson_surprise(2, 1.0) == pytest.approx(-math.log10(1 - 2 / math.e), rel=1e-13)
    far = -_decimal_log_tail(120, 0.25) / math.log(10)
    assert poisson_surprise(120, 0.25) == pytest.approx(far, rel=1e-12)
    assert 900 < poisson_surprise(400, 0.25) < math.inf


def test_clustering_groups_near_duplicates_apart_from_unrelated_text() -> None:
    """Near-duplicate errors form one group; an unrelated message forms its own."""
    messages = [
        "could not connect to server: Connection refused 10.0.0.1:5432",
        "disk quota exceeded while writing /var/lib/data/file.bin",
        "could not connect to server: Connection refused 10.0.0.9:5433",
        "could not connect to server: connection refused db.internal:5432",
    ]
    groups = group_messages(messages)
    assert [group.members for group in groups] == [(0, 2, 3), (1,)]


def test_clustering_names_nearest_pattern() -> None:
    """Each group names the descriptor it shares most words with, with a positive similarity."""
    messages = [
        "KeyError: 'user_id' in handler",
        "KeyError: 'order_id' in handler",
        "SSL certificate expired",
    ]
    descriptors = [
        ("tls-cert-expired", "TLS certificate has expired"),
        ("py-keyerror", "KeyError in handler"),
    ]
    groups = group_messages(messages, descriptors)
    assert [(group.nearest_pattern, group.members) for group in groups] == [
        ("py-keyerror", (0, 1)),
        ("tls-cert-expired", (2,)),
    ]
    assert all(group.similarity > 0.3 for group in groups)


def test_clustering_is_deterministic() -> None:
    """The same messages give the same groups."""
    messages = [f"timeout calling service-{i % 3} after {i}s" for i in range(12)] + ["OOM killed"]
    assert group_messages(messages) == group_messages(messages)


GROUP = [
    "connection to 10.0.0.1:5432 refused after 8.0s (attempt 3)",
    "connection to 10.0.0.2:5432 refused after 12.5s (attempt 4)",
    "connection to db.internal:5432 refused after 3 seconds (attempt 1)",
]
OTHERS = ["worker started pid=12", "connection pool ready (size 10)", "GET /healthz 200"]


def _draft() -> dict[str, object]:
    """Draft for GROUP, mined with the real miner."""
    miner = TemplateMiner()
    for message in GROUP:
        miner.add(message)
    return draft_pattern(miner.templates()[0].text, GROUP, OTHERS)


def test_draft_regex_is_re2_and_proves_itself() -> None:
    """The drafted regex compiles in RE2, matches its match examples and none of its no_match ones."""
    draft = _draft()
    regex = re2.compile(draft["match"]["any"][0])  # type: ignore[index]
    examples = draft["examples"]
    assert len(examples["match"]) == 3 and len(examples["no_match"]) == 2  # type: ignore[index]
    assert all(regex.search(m) for m in examples["match"])  # type: ignore[index]
    assert not any(regex.search(m) for m in examples["no_match"])  # type: ignore[index]


def test_draft_fields_follow_the_pattern_format() -> None:
    """A draft has a slug id, a contract category, role cause and the README's key order."""
    draft = _draft()
    assert (draft["id"], draft["category"], draft["layer"], draft["role"]) == (
        "connection-to-refused-after-attempt",
        "network-connectivity",
        "network",
        "cause",
    )
    assert to_yaml(draft).startswith("id: connection-to-refused-after-attempt\ntitle: ")


def test_draft_falls_back_to_application_exception() -> None:
    """A template with no category keyword is drafted as application-exception, never unknown."""
    assert (
        draft_pattern("frobnicator <NUM> wobbled", ["frobnicator 3 wobbled"], [])["category"]
        == "application-exception"
    )


def test_template_regex_escapes_metacharacters() -> None:
    """Literal regex metacharacters in a template are matched literally."""
    regex = re2.compile(template_regex("a.b [x] (y)+ <*>"))
    assert (regex.search("a.b [x] (y)+ z") is not None, regex.search("aXb [x] (y)+ z") is not None) == (
        True,
        False,
    )


def test_slug_without_words_is_a_stable_hash() -> None:
    """A template with no literal word still gets a valid, stable id."""
    assert slug("<NUM> <IP>") == slug("<NUM> <IP>") and slug("<NUM> <IP>").startswith("mined-")


@pytest.mark.skipif(not LOGHUB.is_dir(), reason=f"Loghub-2k data not present at {LOGHUB}")
@pytest.mark.parametrize("system", ["HDFS", "OpenSSH"])
def test_grouping_accuracy_on_loghub(system: str) -> None:
    """On real Loghub-2k logs the miner's grouping accuracy is at least 0.8."""
    log = load_loghub(LOGHUB, system)
    miner = TemplateMiner()
    assert grouping_accuracy([miner.add(m) for m in log.contents], log.labels) >= 0.8
