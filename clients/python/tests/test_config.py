"""The profile file (its YAML subset) and how the client finds its server and token."""

import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faaspot import Faaspot, FaaspotConfigError, FaaspotError  # noqa: E402
from faaspot.config import config_path, parse_profile_yaml, resolve_connection  # noqa: E402

try:
    import yaml  # only to cross-check the subset parser when PyYAML happens to be installed
except ImportError:  # pragma: no cover
    yaml = None

SAMPLE = """\
faaspot:
  profile: default
  profiles:
    default:
      host: 127.0.0.1
      port: 8080
      protocol: http
      token: fsp_xxx
"""

# What the TypeScript `fas profiles` command writes (the `yaml` package's stringify).
FAS_WRITTEN = """\
faaspot:
  profile: v6
  profiles:
    "123":
      host: yes
      port: 2
      protocol: http
      token: "007"
    v6:
      host: ::1
      port: 8080
      protocol: http
      token: ""
    we ird:
      host: a#b
      port: 1
      protocol: https
      token: "x: y #z \\"q\\" 's"
"""
FAS_WRITTEN_EMPTY = "faaspot:\n  profile: null\n  profiles: {}\n"

PROD = (
    "# a comment\n---\nfaaspot:   # trailing comment\n  profile: 'prod'\n  profiles:\n\n    prod:\n"
    "      host: \"faaspot.example.com\"\n      port: 443   # https\n      protocol: https\n"
    "      token: 'it''s # not a comment'\n"
)
SCALARS = "a: 1\nb: -2\nc: 0\nd: 1.5\ne: true\nf: False\ng: null\nh: ~\ni:\nj: ''\nk: \"\"\n"
ESCAPES = 'esc: "tab\\tquote\\"backslash\\\\ \\u00e9\\x41"\n'

VALID_DOCUMENTS = [
    SAMPLE,
    FAS_WRITTEN,
    FAS_WRITTEN_EMPTY,
    PROD,
    SCALARS,
    ESCAPES,
    "a:\n  b:\n    c: x y z  # comment\n  d: b#c\nurl: http://host:80/path\n",
    "  indented: 1\n  root:\n     deeper: 2\n  back: 3\n",
    "'quoted key': 1\n\"dq key\": 2\nkey with spaces: value with spaces\n",
    "crlf: yes\r\nsecond: 2\r\n",
    "unicode: é ✓\nquoted: 'é ✓'\n",
    "a:\n# comment at column 0 inside a mapping\n    b: 1\n",
]

INVALID_DOCUMENTS = {
    "list item": ("faaspot:\n  profiles:\n    - default\n", 3, "lists"),
    "top-level list": ("- a\n", 1, "lists"),
    "flow sequence": ("a: [1, 2]\n", 1, "flow sequences"),
    "flow mapping": ("a: {b: 1}\n", 1, "flow mappings"),
    "nested under empty mapping": ("a: {}\n  b: 1\n", 2, "unexpected indentation"),
    "anchor": ("a: &x 1\n", 1, "anchors"),
    "alias": ("a: *x\n", 1, "aliases"),
    "tag": ("a: !!str 1\n", 1, "tags"),
    "literal block": ("a: |\n  text\n", 1, "block scalars"),
    "folded block": ("a: >\n  text\n", 1, "block scalars"),
    "indent after scalar": ("a: 1\n  b: 2\n", 2, "unexpected indentation"),
    "dedent to no level": ("a:\n    b: 1\n  c: 2\n", 3, "matches no enclosing mapping"),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    "tab indentation": ("a:\n\tb: 1\n", 2, "tabs"),
    "unterminated single": ("a: 'x\n", 1, "unterminated single-quoted"),
    "unterminated double": ('a: "x\n', 1, "unterminated double-quoted"),
    "text after quote": ("a: 'x' y\n", 1, "after a quoted value"),
    "no colon": ("faaspot:\n  just text\n", 2, "expected `key: value`"),
    "inline mapping": ("a: b: c\n", 1, "on the line of its key"),
    "two documents": ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
    "bad escape": ('a: "\\q"\n', 1, "unknown escape"),
    "document end": ("a: 1\n...\n", 2, "document end"),
    "complex key": ("? a\n", 1, "complex keys"),
}


class ParserTests(unittest.TestCase):
    def test_the_documented_layout(self):
        self.assertEqual(parse_profile_yaml(SAMPLE), {
            "faaspot": {
                "profile": "default",
                "profiles": {"default": {"host": "127.0.0.1", "port": 8080, "protocol": "http", "token": "fsp_xxx"}},
            },
        })

    def test_scalars_quotes_and_comments(self):
        data = parse_profile_yaml(PROD)
        self.assertEqual(data["faaspot"]["profile"], "prod")
        prod = data["faaspot"]["profiles"]["prod"]
        self.assertEqual(prod, {"host": "faaspot.example.com", "port": 443, "protocol": "https",
                                "token": "it's # not a comment"})
        data = parse_profile_yaml(SCALARS)
        self.assertEqual(data, {"a": 1, "b": -2, "c": 0, "d": 1.5, "e": True, "f": False, "g": None,
                                "h": None, "i": None, "j": "", "k": ""})
        self.assertEqual(parse_profile_yaml(ESCAPES)["esc"], 'tab\tquote"backslash\\ éA')
        self.assertEqual(parse_profile_yaml("a: b#c  # real comment\n"), {"a": "b#c"})

    def test_reads_what_fas_profiles_writes(self):
        profiles = parse_profile_yaml(FAS_WRITTEN)["faaspot"]["profiles"]
        self.assertEqual(profiles["123"], {"host": "yes", "port": 2, "protocol": "http", "token": "007"})
        self.assertEqual(profiles["v6"]["host"], "::1")
        self.assertEqual(profiles["v6"]["token"], "")
        self.assertEqual(profiles["we ird"], {"host": "a#b", "port": 1, "protocol": "https", "token": "x: y #z \"q\" 's"})
        self.assertEqual(parse_profile_yaml(FAS_WRITTEN_EMPTY), {"faaspot": {"profile": None, "profiles": {}}})

    def test_line_numbers_of_keys(self):
        lines = {}
        parse_profile_yaml(SAMPLE, "f.yaml", lines)
        self.assertEqual(lines[("faaspot", "profiles", "default", "port")], 6)

    @unittest.skipIf(yaml is None, "PyYAML is not installed")
    def test_agrees_with_pyyaml_on_the_subset(self):
        for document in VALID_DOCUMENTS:
            if ": yes" in document:
                continue  # PyYAML (YAML 1.1) reads `yes` as a boolean; YAML 1.2 and the subset keep it text
            with self.subTest(document=document):
                self.assertEqual(parse_profile_yaml(document), yaml.safe_load(document))

    def test_refuses_anything_else_with_file_and_line(self):
        for label, (document, line, words) in INVALID_DOCUMENTS.items():
            with self.subTest(label):
                with self.assertRaises(FaaspotConfigError) as caught:
                    parse_profile_yaml(document, "/etc/fasconf.yaml")
                error = caught.exception
                self.assertIsInstance(error, FaaspotError)
                self.assertIsInstance(error, ValueError)
                self.assertEqual(error.code, "CONFIG_ERROR")
                self.assertEqual((error.path, error.line), ("/etc/fasconf.yaml", line))
                self.assertIn(f"/etc/fasconf.yaml:{line}: ", str(error))
                self.assertIn(words, str(error))

    def test_empty_and_comment_only_files(self):
        self.assertEqual(parse_profile_yaml(""), {})
        self.assertEqual(parse_profile_yaml("# nothing\n\n"), {})


class ResolutionTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.env = {"FAASPOT_DIR": self.dir.name}

    def write(self, text, name="fasconf.yaml"):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def test_file_location_from_the_environment(self):
        self.assertEqual(config_path({}), os.path.join(os.path.expanduser("~"), ".faaspot", "fasconf.yaml"))
        self.assertEqual(config_path({"FAASPOT_DIR": "/x", "FAASPOT_CONFIG": "other.yaml"}), "/x/other.yaml")

    def test_profile_from_the_file(self):
        self.write(SAMPLE)
        self.assertEqual(resolve_connection(environ=self.env), ("http://127.0.0.1:8080", "fsp_xxx"))

    def test_file_name_from_faaspot_config(self):
        self.write(SAMPLE.replace("fsp_xxx", "fsp_other"), "other.yaml")
        self.env["FAASPOT_CONFIG"] = "other.yaml"
        self.assertEqual(resolve_connection(environ=self.env)[1], "fsp_other")

    def test_environment_overrides_the_profile(self):
        self.write(SAMPLE)
        self.env["FAASPOT_TOKEN"] = "fsp_env"
        self.assertEqual(resolve_connection(environ=self.env), ("http://127.0.0.1:8080", "fsp_env"))
        self.env["FAASPOT_URL"] = "https://faaspot.example.com:9443/"
        self.assertEqual(resolve_connection(environ=self.env), ("https://faaspot.example.com:9443", "fsp_env"))

    def test_arguments_override_everything_and_skip_the_file(self):
        self.write("faaspot: [broken\n")
        self.env.update(FAASPOT_URL="http://env:1", FAASPOT_TOKEN="env")
        self.assertEqual(resolve_connection("http://arg:2", "arg", environ=self.env), ("http://arg:2", "arg"))
        self.assertEqual(resolve_connection(environ=self.env), ("http://env:1", "env"))

    def test_environment_alone_needs_no_file(self):
        env = {"FAASPOT_DIR": os.path.join(self.dir.name, "missing"), "FAASPOT_URL": "http://h:1", "FAASPOT_TOKEN": "t"}
        self.assertEqual(resolve_connection(environ=env), ("http://h:1", "t"))

    def test_nothing_configured_says_how_to_configure(self):
        for env in (self.env, {**self.env, "FAASPOT_URL": "http://h:1"}):
            with self.assertRaises(FaaspotConfigError) as caught:
                resolve_connection(environ=env)
            message = str(caught.exception)
            for words in ("no FaaSpot token", "FAASPOT_URL", "FAASPOT_TOKEN", "fasconf.yaml", self.dir.name,
                          "profiles:", "token:"):
                self.assertIn(words, message)

    def test_token_without_url_uses_the_default_address(self):
        self.assertEqual(resolve_connection(environ={**self.env, "FAASPOT_TOKEN": "t"}), ("http://127.0.0.1:8080", "t"))
        self.write(FAS_WRITTEN_EMPTY)
        self.assertEqual(resolve_connection(environ={**self.env, "FAASPOT_TOKEN": "t"}), ("http://127.0.0.1:8080", "t"))

    def test_profile_without_token(self):
        self.write(SAMPLE.replace("      token: fsp_xxx\n", ""))
        with self.assertRaisesRegex(FaaspotConfigError, "the profile 'default' has no token"):
            resolve_connection(environ=self.env)
        self.env["FAASPOT_TOKEN"] = "t"
        self.assertEqual(resolve_connection(environ=self.env), ("http://127.0.0.1:8080", "t"))

    def test_fas_written_profiles(self):
        self.write(FAS_WRITTEN)
        self.assertEqual(resolve_connection(environ=self.env, profile="we ird")[1], "x: y #z \"q\" 's")
        self.assertEqual(resolve_connection(environ=self.env, profile="123"), ("http://yes:2", "007"))

    def test_profile_selection(self):
        self.write(SAMPLE + "    prod:\n      host: faaspot.example.com\n      protocol: https\n      token: fsp_prod\n")
        self.assertEqual(resolve_connection(profile="prod", environ=self.env), ("https://faaspot.example.com:443", "fsp_prod"))
        with self.assertRaises(FaaspotConfigError) as caught:
            resolve_connection(profile="nope", environ={**self.env, "FAASPOT_URL": "http://h:1", "FAASPOT_TOKEN": "t"})
        self.assertIn("no profile named 'nope'", str(caught.exception))
        self.assertIn("default, prod", str(caught.exception))

    def test_selected_profile_missing(self):
        path = self.write(SAMPLE.replace("profile: default", "profile: staging"))
        with self.assertRaises(FaaspotConfigError) as caught:
            resolve_connection(environ=self.env)
        self.assertEqual((caught.exception.path, caught.exception.line), (path, 2))
        os.remove(path)
        with self.assertRaisesRegex(FaaspotConfigError, "no profile named 'staging': there is no profile file"):
            resolve_connection(profile="staging", environ=self.env)

    def test_defaults_and_ipv6(self):
        self.write("faaspot:\n  profile: p\n  profiles:\n    p:\n      token: t\n")
        self.assertEqual(resolve_connection(environ=self.env), ("http://127.0.0.1:8080", "t"))
        self.write("faaspot:\n  profile: p\n  profiles:\n    p:\n      host: '::1'\n      port: '9000'\n      token: t\n")
        self.assertEqual(resolve_connection(environ=self.env), ("http://[::1]:9000", "t"))

    def test_bad_values_name_their_line(self):
        path = self.write(SAMPLE.replace("port: 8080", "port: eighty"))
        with self.assertRaises(FaaspotConfigError) as caught:
            resolve_connection(environ=self.env)
        self.assertEqual((caught.exception.path, caught.exception.line), (path, 6))
        self.assertIn("port", str(caught.exception))
        self.write(SAMPLE.replace("protocol: http", "protocol: ftp"))
        with self.assertRaisesRegex(FaaspotConfigError, r"fasconf.yaml:7: `protocol` must be http or https"):
            resolve_connection(environ=self.env)
        self.write("other: 1\n")
        with self.assertRaisesRegex(FaaspotConfigError, "no top-level `faaspot:` mapping"):
            resolve_connection(environ=self.env)

    def test_bad_url(self):
        with self.assertRaisesRegex(FaaspotConfigError, "must start with http:// or https://"):
            resolve_connection("127.0.0.1:8080", "t", environ={})

    def test_not_utf8(self):
        path = os.path.join(self.dir.name, "fasconf.yaml")
        with open(path, "wb") as handle:
            handle.write(b"faaspot:\n  profile: \xff\n")
        with self.assertRaises(FaaspotConfigError) as caught:
            resolve_connection(environ=self.env)
        self.assertEqual(caught.exception.line, 2)

    def test_faaspot_reads_os_environ(self):
        self.write(SAMPLE)
        with mock.patch.dict(os.environ, {"FAASPOT_DIR": self.dir.name}):
            for name in ("FAASPOT_URL", "FAASPOT_TOKEN", "FAASPOT_CONFIG"):
                os.environ.pop(name, None)
            client = Faaspot()
            self.assertEqual((client.url, client.token), ("http://127.0.0.1:8080", "fsp_xxx"))
            self.assertNotIn("fsp_xxx", repr(client))
            os.environ["FAASPOT_URL"] = "http://elsewhere:1234"
            self.assertEqual(Faaspot().url, "http://elsewhere:1234")
            self.assertEqual(Faaspot(url="http://explicit:1", token="tok").token, "tok")


if __name__ == "__main__":
    unittest.main()
