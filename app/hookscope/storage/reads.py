"""The store as the window reads it: every read the GUI makes, and nothing that writes.

The GUI reads through its own connection (WAL lets it read while the engine's writer commits)
and changes things only through the engine; an import contract keeps it to this module.
"""

from __future__ import annotations

from hookscope.storage.captures import count as count_captures
from hookscope.storage.captures import (
    counted_at_once,
    get_capture,
    iter_matching,
    list_summaries,
    newest_and_count,
    newest_id,
    nth_id,
    rank,
    replays_of,
    summaries_of,
)
from hookscope.storage.credentials import CredentialError, list_credentials, load_credentials
from hookscope.storage.db import StoreError, open_store
from hookscope.storage.deliveries import count as count_attempts
from hookscope.storage.deliveries import get_attempt, list_attempts
from hookscope.storage.deliveries import nth_id as nth_attempt_id
from hookscope.storage.forwards import forwards_of, get_forward
from hookscope.storage.forwards import list_rules as list_forward_rules
from hookscope.storage.keyfile import KeyFileError, read_vault
from hookscope.storage.paths import key_path
from hookscope.storage.retention import StoreSize, store_size
from hookscope.storage.schemes import SchemeError, list_schemes, scheme_names, scheme_users
from hookscope.storage.settings import (
    get_setting,
    list_rules,
    load_listener_settings,
    load_retention,
    load_send_policy,
    provider_paths,
)
from hookscope.storage.targets import ApiKeyInfo, TargetError, digest, list_api_keys, list_targets

__all__ = [
    "ApiKeyInfo",
    "CredentialError",
    "KeyFileError",
    "SchemeError",
    "StoreError",
    "StoreSize",
    "TargetError",
    "count_attempts",
    "count_captures",
    "counted_at_once",
    "digest",
    "forwards_of",
    "get_attempt",
    "get_capture",
    "get_forward",
    "get_setting",
    "iter_matching",
    "key_path",
    "list_api_keys",
    "list_attempts",
    "list_credentials",
    "list_forward_rules",
    "list_rules",
    "list_schemes",
    "list_summaries",
    "list_targets",
    "load_credentials",
    "load_listener_settings",
    "load_retention",
    "load_send_policy",
    "newest_and_count",
    "newest_id",
    "nth_attempt_id",
    "nth_id",
    "open_store",
    "provider_paths",
    "rank",
    "read_vault",
    "replays_of",
    "scheme_names",
    "scheme_users",
    "store_size",
    "summaries_of",
]
