"""URL rules: which sources are URLs, which URLs can be fetched (in words), and what is shown of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sphinx_palette.remote.urls import (
    REDACTED,
    add_redacted_params,
    is_redacted_param,
    is_url,
    redact_url,
    url_problem,
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://example.org/a.png", True),
        ("http://[::1/x.png", True),
        ("ftp://example.org/a.png", True),
        ("data:image/png;base64,AAAA", True),
        ("file:///etc/passwd", True),
        ("C:\\images\\a.png", False),
        ("c:/images/a.png", False),
        ("\\\\server\\share\\a.png", False),
        ("images/a.png", False),
        ("/abs/a.png", False),
        ("", False),
    ],
)
def test_is_url(source, expected):
    assert is_url(source) is expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[::1/x.png", "brackets"),
        ("http://u:p@localhost:99999/x.png", "port"),
        ("http://localhost:0/x.png", "port"),
        ("http://localhost:port/x.png", "port"),
        ("http://exa mple.com/x.png", "space"),
        ("http:///x.png", "no host"),
        ("http://a\tb/x.png", "control character"),
        ("http://xn--a.example/x.png", None),
        ("http://a_b%.example/x.png", "characters"),
        ("ftp://example.org/a.png", "not ftp:"),
        ("file:///etc/passwd", "not file:"),
        ("data:image/png;base64,AAAA", "not data:"),
        ("C:\\images\\a.png", "not a URL"),
    ],
)
def test_url_problem_says_what_is_wrong(url, words):
    problem = url_problem(url)
    if words is None:
        return  # only must not raise
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a b.png",
        "https://bücher.example/a.png",
        "http://[::1]:8080/a.png",
        "http://127.0.0.1:65535/a.png?x=1",
        "HTTPS://EXAMPLE.ORG/A.PNG",
    ],
)
def test_fetchable_urls_have_no_problem(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://u:p@example.org/a.png", "https://example.org/a.png"),
        ("https://example.org/a.png?token=s3cr3t", f"https://example.org/a.png?token={REDACTED}"),
        (
            "https://b.s3.amazonaws.com/a.png?X-Amz-Credential=AK%2F1&X-Amz-Signature=ab12&size=2",
            f"https://b.s3.amazonaws.com/a.png?X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}&size=2",
        ),
        (
            "https://e.org/a.png?KEY=1&apikey=2&sig=3",
            f"https://e.org/a.png?KEY={REDACTED}&apikey={REDACTED}&sig={REDACTED}",
        ),
        ("https://e.org/cb#access_token=abc&x=1", f"https://e.org/cb#access_token={REDACTED}&x=1"),
        ("https://e.org/a.png?monkey=1&tokens=2", "https://e.org/a.png?monkey=1&tokens=2"),
        ("http://u:p@[::1/x.png?token=t", f"http://[::1/x.png?token={REDACTED}"),
        ("http://u:p@localhost:99999/x.png", "http://localhost:99999/x.png"),
        ("images/a@2x.png", "images/a@2x.png"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_project_parameters_are_redacted_too():
    assert not is_redacted_param("gallery_pass")
    add_redacted_params(["gallery_pass", "X-Acme-*"])
    assert redact_url("https://e.org/a?Gallery_Pass=9&x-acme-sig=1&b=2") == (
        f"https://e.org/a?Gallery_Pass={REDACTED}&x-acme-sig={REDACTED}&b=2"
    )


@given(st.text(max_size=80))
def test_url_rules_never_raise(text):
    is_url(text)
    url_problem(text)
    shown = redact_url(text)
    assert redact_url(shown) == shown


@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "file", "data", "javascript", "c"]),
    userinfo=st.sampled_from(["", "u:p@", "u@", ":@", "u:p:q@"]),
    host=st.one_of(
        st.sampled_from(["localhost", "[::1", "[::1]", "bücher.example", "exa mple", "", "[", "]", "a..b"]),
        st.text(max_size=12),
    ),
    port=st.one_of(st.just(""), st.integers(-5, 10**6).map(lambda p: f":{p}"), st.text(max_size=4)),
    rest=st.text(max_size=20),
)
def test_url_rules_never_raise_on_url_shapes(scheme, userinfo, host, port, rest):
    url = f"{scheme}://{userinfo}{host}{port}/{rest}"
    problem = url_problem(url)
    assert problem is None or isinstance(problem, str)
    assert "p@" not in redact_url(url).split("/", 3)[2] or "@" in host


def test_redact_params_and_cache_max_bytes_from_the_command_line():
    from sphinx_palette.settings import SETTINGS, PaletteConfig

    by_name = {s.name: s for s in SETTINGS}
    redact, limit = by_name["redact_params"], by_name["cache_max_bytes"]
    assert redact.parse("ticket, X-Acme-*") == ["ticket", "X-Acme-*"]
    assert redact.accepts(["ticket"]) and not redact.accepts([""]) and not redact.accepts("ticket")
    assert limit.parse("None") is None and limit.parse("5000000") == 5_000_000
    assert limit.accepts(None) and not limit.accepts(-1) and not limit.accepts(True)
    config = PaletteConfig.from_mapping({"redact_params": ["ticket"], "cache_max_bytes": 10})
    assert config.redact_params == ("ticket",) and config.cache_max_bytes == 10
