"""Where the client finds its server and token: arguments, environment, then the profile file.

The profile file is the original product's ``~/.faaspot/fasconf.yaml``::

    faaspot:
      profile: default
      profiles:
        default:
          host: 127.0.0.1
          port: 8080
          protocol: http
          token: fsp_xxx

The standard library reads no YAML, so this module parses the subset such a file uses: nested
mappings by indentation, whose values are plain scalars (unquoted, ``'single'`` or ``"double"``
quoted), ``#`` comments, integers, decimals, booleans, nulls and the empty mapping ``{}`` (what
``fas profiles`` writes when there are no profiles). Anything else (lists, other flow collections,
anchors, tags, block scalars, several documents, tabs in indentation) is refused with the file and
the line, never guessed at.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from .errors import FaaspotConfigError

__all__ = [
    "parse_profile_yaml",
    "config_path",
    "read_config_file",
    "resolve_connection",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_PROTOCOL",
    "DEFAULT_URL",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_PROTOCOL = "http"
#: The server's own default address, used when a token is configured but no URL.
DEFAULT_URL = f"{DEFAULT_PROTOCOL}://{DEFAULT_HOST}:{DEFAULT_PORT}"

HOW_TO_CONFIGURE = (
    "Configure the FaaSpot client in one of these ways: pass Faaspot(url='http://HOST:PORT', "
    "token='TOKEN'); or set the environment variables FAASPOT_URL and FAASPOT_TOKEN; or write a "
    "profile file {path} (directory from FAASPOT_DIR, file name from FAASPOT_CONFIG; `fas profiles` "
    "writes it) like:\n"
    "faaspot:\n"
    "  profile: default\n"
    "  profiles:\n"
    "    default:\n"
    "      host: 127.0.0.1\n"
    "      port: 8080\n"
    "      protocol: http\n"
    "      token: YOUR_TOKEN"
)

# ---------------------------------------------------------------------------------------------
# The YAML subset
# ---------------------------------------------------------------------------------------------

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}
# Characters that start YAML constructs outside the subset when they begin a key or a value.
_UNSUPPORTED_START = {
    "[": "flow sequences ([...])",
    "{": "flow mappings ({...})",
    "&": "anchors (&name)",
    "*": "aliases (*name)",
    "!": "tags (!tag)",
    "|": "block scalars (|)",
    ">": "block scalars (>)",
    "%": "directives (%)",
    "@": "the reserved character @",
    "`": "the reserved character `",
    "?": "complex keys (?)",
}
_DOUBLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


class _Line:
    """One content line: its number, indentation and text after the indentation."""

    __slots__ = ("number", "indent", "text")

    def __init__(self, number: int, indent: int, text: str) -> None:
        self.number = number
        self.indent = indent
        self.text = text


def _quoted(text: str, start: int, fail) -> Tuple[str, int]:
    """Reads the quoted scalar opening at ``text[start]``; returns it and the index after it."""
    quote = text[start]
    out = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if quote == "'":
            if char == "'":
                if text[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            out.append(char)
            i += 1
            continue
        if char == '"':
            return "".join(out), i + 1
        if char == "\\":
            escape = text[i + 1 : i + 2]
            if escape in _DOUBLE_ESCAPES:
                out.append(_DOUBLE_ESCAPES[escape])
                i += 2
                continue
            if escape in _HEX_ESCAPES:
                digits = text[i + 2 : i + 2 + _HEX_ESCAPES[escape]]
                if len(digits) != _HEX_ESCAPES[escape] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    fail(f"\\{escape} must be followed by {_HEX_ESCAPES[escape]} hex digits")
                out.append(chr(int(digits, 16)))
                i += 2 + len(digits)
                continue
            fail(f"unknown escape \\{escape} in a double-quoted string" if escape else "a double-quoted string ends with \\")
        out.append(char)
        i += 1
    fail(f"unterminated {'single' if quote == chr(39) else 'double'}-quoted string "
         "(quoted values must open and close on one line)")
    raise AssertionError("unreachable")


def _after_scalar(rest: str, fail) -> None:
    """What may follow a quoted scalar: nothing, or whitespace and then a comment."""
    stripped = rest.strip()
    if stripped == "":
        return
    if stripped.startswith("#") and rest[:1] in (" ", "\t"):
        return
    fail(f"unexpected text after a quoted value: {stripped!r}")


def _plain_value(text: str) -> Any:
    """Types a plain (unquoted) scalar whose trailing comment is already removed."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _strip_comment(text: str) -> str:
    """Removes a ``#`` comment: one at the start, or one after whitespace."""
    if text.startswith("#"):
        return ""
    match = re.search(r"\s#", text)
    return (text[: match.start()] if match else text).rstrip()


def _parse_value(text: str, fail) -> Tuple[Any, bool]:
    """Parses what follows ``key:``. Returns (value, empty): empty means nothing but maybe a comment."""
    text = text.strip()
    if text == "" or text.startswith("#"):
        return None, True
    first = text[0]
    if first in "'\"":
        value, end = _quoted(text, 0, fail)
        _after_scalar(text[end:], fail)
        return value, False
    if first == "{" and _strip_comment(text) == "{}":
        return {}, False  # an empty mapping, as `fas profiles` writes `profiles: {}`
    if first in _UNSUPPORTED_START:
        fail(f"{_UNSUPPORTED_START[first]} are not supported in the profile file; use plain or quoted values")
    if first == "-" and (len(text) == 1 or text[1] in " \t"):
        fail("lists (- item) are not supported in the profile file")
    if first == "," or first == "]" or first == "}":
        fail(f"a value cannot start with {first!r}; quote it")
    value = _strip_comment(text)
    if re.search(r":(\s|$)", value):
        fail("a mapping cannot start on the line of its key; put it on the next lines, indented")
    return _plain_value(value), False


def _parse_key(text: str, fail) -> Tuple[str, str]:
    """Splits ``key: rest``; returns the key and the rest after the colon."""
    if text[0] in "'\"":
        key, end = _quoted(text, 0, fail)
        rest = text[end:].lstrip(" ")
        if not rest.startswith(":") or (len(rest) > 1 and rest[1] not in " \t"):
            fail("expected `key: value` after a quoted key")
        return key, rest[1:]
    if text[0] in _UNSUPPORTED_START:
        fail(f"{_UNSUPPORTED_START[text[0]]} are not supported in the profile file")
    if text[0] == "-" and (len(text) == 1 or text[1] in " \t"):
        fail("lists (- item) are not supported in the profile file")
    match = re.search(r":(?=[ \t]|$)", text)
    if match is None:
        fail(f"expected `key: value`, got {text!r}")
    key = text[: match.start()].rstrip()
    if key == "" or re.search(r"\s#", key) or key.startswith("#"):
        fail(f"expected `key: value`, got {text!r}")
    return key, text[match.end():]


def parse_profile_yaml(
    text: str,
    source: str = "<string>",
    lines: Optional[Dict[Tuple[str, ...], int]] = None,
) -> Dict[str, Any]:
    """Parses the YAML subset of the profile file into nested dicts.

    Args:
        text: the file's text.
        source: the file name, used in error messages.
        lines: if given, filled with the line number of every key, by its path of keys.

    Raises:
        FaaspotConfigError: for anything outside the subset, with ``source`` and the line.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    content = []
    seen_document_start = False
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw[:-1] if raw.endswith("\r") else raw

        def fail(message: str, _number: int = number) -> None:
            raise FaaspotConfigError(message, source, _number)

        stripped = raw.strip()
        if stripped == "" or stripped.startswith("#"):
            continue
        body = raw.lstrip(" ")
        indent = len(raw) - len(body)
        if body.startswith("\t"):
            fail("tabs are not allowed in indentation; indent with spaces")
        if stripped == "---" or stripped.startswith("--- ") or stripped.startswith("---\t"):
            if content or seen_document_start or _strip_comment(stripped[3:].strip()):
                fail("only one YAML document, holding a mapping, is supported")
            seen_document_start = True
            continue
        if stripped == "..." or stripped.startswith("... "):
            fail("document end markers (...) are not supported in the profile file")
        content.append(_Line(number, indent, body.rstrip()))

    root: Dict[str, Any] = {}
    if not content:
        return root
    # Each open mapping: (indentation of its keys, the dict, its path of keys).
    stack = [(content[0].indent, root, ())]
    pending: Optional[Tuple[str, Dict[str, Any], int, Tuple[str, ...]]] = None
    for line in content:
        def fail(message: str, _number: int = line.number) -> None:
            raise FaaspotConfigError(message, source, _number)

        if pending is not None:
            key, parent, key_indent, path = pending
            pending = None
            if line.indent > key_indent:
                child: Dict[str, Any] = {}
                parent[key] = child
                stack.append((line.indent, child, path))
        closed = False
        while stack and stack[-1][0] > line.indent:
            stack.pop()
            closed = True
        if not stack or stack[-1][0] != line.indent:
            if closed or not stack:
                fail("this indentation matches no enclosing mapping; indent keys of one mapping alike")
            fail("unexpected indentation: only a key with no value on its line opens a nested mapping")
        indent, mapping, parent_path = stack[-1]
        key, rest = _parse_key(line.text, fail)
        if key in mapping:
            fail(f"duplicate key {key!r}")
        value, empty = _parse_value(rest, fail)
        mapping[key] = value
        path = parent_path + (key,)
        if lines is not None:
            lines[path] = line.number
        if empty:
            pending = (key, mapping, indent, path)
    return root


# ---------------------------------------------------------------------------------------------
# The profile
# ---------------------------------------------------------------------------------------------


def config_path(environ: Optional[Mapping[str, str]] = None) -> str:
    """The profile file's path: ``$FAASPOT_DIR`` (default ``~/.faaspot``) joined with
    ``$FAASPOT_CONFIG`` (default ``fasconf.yaml``), as the original client computed it."""
    env = os.environ if environ is None else environ
    directory = env.get("FAASPOT_DIR") or os.path.join("~", ".faaspot")
    name = env.get("FAASPOT_CONFIG") or "fasconf.yaml"
    return os.path.join(os.path.expanduser(directory), os.path.expanduser(name))


def read_config_file(path: str) -> Tuple[Dict[str, Any], Dict[Tuple[str, ...], int]]:
    """Reads and parses the profile file at ``path``; returns the data and each key's line.

    Raises:
        FileNotFoundError: if there is no such file.
        FaaspotConfigError: if it cannot be read as UTF-8 or is outside the supported subset.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise FaaspotConfigError(f"cannot read the profile file: {error.strerror or error}", path) from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FaaspotConfigError("the profile file is not UTF-8 text", path, line) from error
    lines: Dict[Tuple[str, ...], int] = {}
    return parse_profile_yaml(text, path, lines), lines


def _select_profile(
    data: Dict[str, Any], lines: Dict[Tuple[str, ...], int], path: str, name: Optional[str]
) -> Tuple[Optional[str], Optional[Dict[str, Any]], Tuple[str, ...]]:
    """The chosen profile's name, mapping and key path: the profile called ``name``, else the
    file's current one (``faaspot.profile``). (None, None, ()) when no profile is chosen."""
    if data and "faaspot" not in data:
        raise FaaspotConfigError("the profile file has no top-level `faaspot:` mapping", path, min(lines.values()))
    faaspot = data.get("faaspot")
    if faaspot is None:
        faaspot = {}
    if not isinstance(faaspot, dict):
        raise FaaspotConfigError("`faaspot` must be a mapping holding `profile` and `profiles`", path, lines.get(("faaspot",)))
    profiles = faaspot.get("profiles")
    if profiles is None:
        profiles = {}
    if not isinstance(profiles, dict):
        raise FaaspotConfigError("`faaspot.profiles` must be a mapping of profile names to profiles",
                                 path, lines.get(("faaspot", "profiles")))
    chosen = name if name is not None else faaspot.get("profile")
    if chosen is None or chosen == "":
        return None, None, ()
    chosen = str(chosen)
    if chosen not in profiles:
        known = ", ".join(map(str, profiles)) or "none"
        line = None if name is not None else lines.get(("faaspot", "profile"))
        raise FaaspotConfigError(f"no profile named {chosen!r} (the profiles in the file: {known})", path, line)
    key_path = ("faaspot", "profiles", chosen)
    profile = profiles[chosen]
    if profile is None:
        profile = {}
    if not isinstance(profile, dict):
        raise FaaspotConfigError(f"profile {chosen!r} must be a mapping of host, port, protocol and token",
                                 path, lines.get(key_path))
    return chosen, profile, key_path


def _profile_url(profile: Dict[str, Any], lines: Dict[Tuple[str, ...], int], key_path: Tuple[str, ...], path: str) -> str:
    """The base URL of a profile: protocol://host:port."""
    def where(key: str) -> Optional[int]:
        return lines.get(key_path + (key,), lines.get(key_path))

    protocol = profile.get("protocol")
    protocol = DEFAULT_PROTOCOL if protocol in (None, "") else str(protocol).lower()
    if protocol not in ("http", "https"):
        raise FaaspotConfigError(f"`protocol` must be http or https, not {profile.get('protocol')!r}", path, where("protocol"))
    host = profile.get("host")
    host = DEFAULT_HOST if host in (None, "") else str(host).strip()
    if "://" in host or "/" in host:
        raise FaaspotConfigError(f"`host` must be a host name or address without scheme or path, not {host!r}",
                                 path, where("host"))
    port = profile.get("port")
    if port in (None, ""):
        port = 443 if protocol == "https" else DEFAULT_PORT
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port.strip())
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise FaaspotConfigError(f"`port` must be a number from 1 to 65535, not {profile.get('port')!r}", path, where("port"))
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"{protocol}://{host}:{port}"


def resolve_connection(
    url: Optional[str] = None,
    token: Optional[str] = None,
    profile: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Tuple[str, str]:
    """Works out the server URL and token.

    Explicit arguments win; then the environment variables ``FAASPOT_URL`` and ``FAASPOT_TOKEN``;
    then the profile called ``profile``, else the current profile (``faaspot.profile``) of the
    profile file. The file is read only when something is still missing or ``profile`` is given.
    With a token but no URL from anywhere, the server's default address ``http://127.0.0.1:8080``.

    Raises:
        FaaspotConfigError: when the profile file is malformed, names a profile it lacks, or no
            token is configured (the message says how to configure one).
    """
    env = os.environ if environ is None else environ
    url = url or env.get("FAASPOT_URL") or None
    token = token or env.get("FAASPOT_TOKEN") or None
    path = config_path(env)
    chosen_name = None
    if profile is not None or url is None or token is None:
        try:
            data, lines = read_config_file(path)
        except FileNotFoundError:
            if profile is not None:
                raise FaaspotConfigError(f"no profile named {profile!r}: there is no profile file", path) from None
            data, lines = {}, {}
        chosen_name, chosen, key_path = _select_profile(data, lines, path, profile)
        if chosen is not None:
            if url is None:
                url = _profile_url(chosen, lines, key_path, path)
            if token is None and chosen.get("token") not in (None, ""):
                token = str(chosen["token"])
    if token is None:
        if chosen_name is not None:
            raise FaaspotConfigError(
                f"the profile {chosen_name!r} has no token: add `token: YOUR_TOKEN` to it, or set FAASPOT_TOKEN", path)
        raise FaaspotConfigError("no FaaSpot token is configured. " + HOW_TO_CONFIGURE.format(path=path))
    url = DEFAULT_URL if url is None else str(url).strip()
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        raise FaaspotConfigError(f"the server URL must start with http:// or https:// and name a host; got {url!r}")
    return url.rstrip("/"), str(token).strip()
