"""`hookscope secrets add | list | remove`: the secrets of every signing scheme, encrypted."""

from __future__ import annotations

import argparse
import json
import sys

from hookscope.cli.args import Commands, Parser, other_names, subcommands
from hookscope.cli.common import UsageError, UserError, directory
from hookscope.core.checks import built_in_schemes, check_public_key, check_secret, check_template
from hookscope.core.model import Credential, iso_utc
from hookscope.storage import credentials as credential_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage.credentials import CredentialError
from hookscope.storage.db import open_store, write_transaction
from hookscope.storage.keyfile import KeyFileError
from hookscope.storage.paths import key_path

# How `secrets add --help` describes the built-in schemes' secrets (others: "a NAME secret").
SECRET_HELP = {
    "standard-webhooks": "a Standard Webhooks secret (whsec_...) and/or an ed25519 public key",
    "stripe": "a Stripe endpoint secret (whsec_..., Stripe-Signature)",
    "github": "a GitHub webhook secret (X-Hub-Signature-256)",
    "slack": "a Slack signing secret (X-Slack-Signature)",
    "shopify": "a Shopify app secret (X-Shopify-Hmac-Sha256)",
}
STANDARD_WEBHOOKS = "standard-webhooks"
OWN_RULES = ("kardow", "kudoz")  # built-ins whose secrets have their own flags
CUSTOM = "CUSTOM"  # stands for any custom scheme's name in `secrets add --help`


def register(commands: Commands, common: Parser) -> None:
    secrets = commands.add_parser(
        "secrets", parents=[common], help="secrets for every signing scheme (stored encrypted)"
    )
    what = subcommands(secrets, "action", "ACTION")
    secret_add = what.add_parser("add", parents=[common], help="store a secret")
    provider = subcommands(secret_add, "provider", "SCHEME")
    add_kardow = provider.add_parser(
        "kardow", parents=[common], help="a Kardow webhook secret (X-Kardow-Signature)"
    )
    add_kardow.add_argument("name", metavar="NAME")
    add_kardow.add_argument(
        "--secret", required=True, metavar="S", help="the secret; - reads it from standard input"
    )
    add_kardow.set_defaults(run=cmd_secrets_add)
    add_kudoz = provider.add_parser(
        "kudoz", parents=[common], help="a Kudoz API key and secret (Authorization: TOKEN)"
    )
    add_kudoz.add_argument("name", metavar="NAME")
    add_kudoz.add_argument("--api-key", required=True, metavar="K")
    add_kudoz.add_argument(
        "--api-secret", required=True, metavar="S", help="the secret; - reads it from stdin"
    )
    add_kudoz.add_argument(
        "--template",
        metavar="T",
        help="the signed string (default {api_key}:{uuid}:{timestamp}); \\n is a newline; "
        "placeholders: {api_key} {uuid} {timestamp} {method} {path} {body} {body_sha256}",
    )
    add_kudoz.set_defaults(run=cmd_secrets_add)
    for name in built_in_schemes():
        if name not in OWN_RULES:
            _add_scheme_parser(provider, common, name, SECRET_HELP.get(name, f"a {name} secret"))
    custom = _add_scheme_parser(
        provider, common, CUSTOM, "a custom scheme's secret: give the scheme's name"
    )
    other_names(provider, custom)
    secret_list = what.add_parser(
        "list", parents=[common], help="list stored secrets (never their values)"
    )
    secret_list.add_argument("--json", action="store_true")
    secret_list.set_defaults(run=cmd_secrets_list)
    secret_remove = what.add_parser("remove", parents=[common], help="remove a secret")
    secret_remove.add_argument("name", metavar="NAME")
    secret_remove.set_defaults(run=cmd_secrets_remove)


def _add_scheme_parser(provider: Commands, common: Parser, name: str, about: str) -> Parser:
    parser = provider.add_parser(name, parents=[common], help=about)
    parser.add_argument("name", metavar="NAME")
    public_key = name == STANDARD_WEBHOOKS
    parser.add_argument(
        "--secret",
        required=not public_key,
        metavar="S",
        help="the signing secret as the sender shows it; - reads it from standard input",
    )
    if public_key:
        parser.add_argument(
            "--public-key",
            metavar="K",
            help="the ed25519 public key for v1a signatures (whpk_... or base64)",
        )
    parser.set_defaults(run=cmd_secrets_add)
    return parser


def _read_secret(value: str, what: str) -> str:
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise UserError(f"The {what} is empty.")
    return value


def cmd_secrets_add(args: argparse.Namespace) -> int:
    folder = directory(args)
    if not args.name.strip():
        raise UserError("The name is empty.")
    if args.provider == "kardow":
        secret = _read_secret(args.secret, "secret")
        credential = Credential("kardow", args.name, secret)
        if problem := check_secret(secret):
            print(f"hookscope: warning: a Kardow secret {problem}; stored anyway.", file=sys.stderr)
    elif args.provider == "kudoz":
        credential = _kudoz_credential(args)
    else:
        credential = _scheme_credential(args)
    try:
        # In one transaction: the scheme cannot be removed between the check and the write.
        with open_store(folder) as db, write_transaction(db):
            if credential.provider not in (names := scheme_store.scheme_names(db)):
                raise UsageError(unknown_scheme(credential.provider, names))
            vault = credential_store.vault_for_new_secret(db, key_path(folder))
            credential_store.add_credential(db, vault, credential)
    except (CredentialError, KeyFileError) as exc:
        raise UserError(str(exc)) from exc
    print(f"{credential.provider} secret {credential.name!r} stored (encrypted)")
    return 0


def unknown_scheme(name: str, names: list[str]) -> str:
    return f"There is no scheme named {name!r}: use one of {', '.join(names)}."


def _scheme_credential(args: argparse.Namespace) -> Credential:
    """A secret for a scheme with no rules of its own: the secret as given, and for Standard
    Webhooks' ed25519 signatures the public key (not a secret, kept beside it like an API
    key)."""
    public_key = getattr(args, "public_key", None)
    if public_key is not None:
        public_key = public_key.strip()
        if problem := check_public_key(public_key):
            raise UsageError(problem)
    elif args.secret is None:
        raise UsageError("Give --secret, --public-key or both.")
    secret = "" if args.secret is None else _read_secret(args.secret, "secret")
    return Credential(args.provider, args.name, secret, public_key or "")


def _kudoz_credential(args: argparse.Namespace) -> Credential:
    template = None
    if args.template is not None:
        template = args.template.replace("\\n", "\n")
        problem = check_template(template)
        if problem:
            raise UserError(problem)
        if "{uuid}" not in template or "{timestamp}" not in template:
            print(
                "hookscope: warning: a template without {uuid} and {timestamp} leaves "
                "the token open to replays.",
                file=sys.stderr,
            )
    if not args.api_key.strip() or ":" in args.api_key:
        raise UserError("The API key must be non-empty and contain no colon.")
    return Credential(
        "kudoz", args.name, _read_secret(args.api_secret, "API secret"), args.api_key, template
    )


def cmd_secrets_list(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        stored = credential_store.list_credentials(db)
    if args.json:
        print(json.dumps([info.as_json() for info in stored], indent=2))
        return 0
    if not stored:
        print("No secrets stored.")
    width = max([7, *(len(info.provider) for info in stored)])
    for info in stored:
        key = "public key" if info.provider == STANDARD_WEBHOOKS else "api key"
        extra = f"  {key} {info.api_key}" if info.api_key else ""
        if info.template:
            extra += "  template " + info.template.replace("\n", "\\n")
        print(
            f"{info.provider:<{width}} {info.name}{extra}  (added {iso_utc(info.created_at)[:19]}Z)"
        )
    return 0


def cmd_secrets_remove(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        removed = credential_store.remove_credential(db, args.name)
    if not removed:
        raise UserError(f"No secret named {args.name!r}.")
    print(f"secret {args.name!r} removed")
    return 0
