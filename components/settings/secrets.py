"""Which config keys may hold a secret, and why every other key that holds one is refused.

How the Pulumi CLI hands a secret to a Python program (read in pulumi/pulumi):

- A stack file value is secret when it is `{secure: <ciphertext>}`; a structured value is
  secret as a whole when *any* leaf inside it is (`hasSecureValue`, called by
  `Value.UnmarshalYAML`, sdk/go/common/resource/config/value.go). The key's value reaches the
  program decrypted, as one JSON string with every leaf in plain text (`Value.Value` ->
  `decryptObject`).
- The language host passes all values in `PULUMI_CONFIG` and the *top-level* keys that are
  secret in `PULUMI_CONFIG_SECRET_KEYS` (`Map.SecureKeys`, sdk/go/common/resource/config/
  map.go); `pulumi-language-python-exec` hands both to `pulumi.runtime.set_all_config`, and
  `pulumi.runtime.is_config_secret(key)` answers from that list (sdk/python/lib/pulumi/
  runtime/config.py).

So for `fleets` with one `secure:` environment value, the program learns only that *something*
in `fleets` is secret, not which leaf. The design therefore is:

- **Carried**: `dockerhubToken`, a plain string key that is secret as a whole. Its value is
  read without the plain getter (`Config.get`, which warns on a secret key once
  pulumi/pulumi#7127 re-enables the warning in `Config._get`), validated, kept as a
  `SecretStr`, and reaches its resource inputs only as `pulumi.Output.secret`
  (`push_token.push_token_output`), exactly what `Config.get_secret` returns.
- **Refused in plain**: a value of a plain key holding what only a credential starts with
  (a GitLab or Docker token prefix, `ya29.`, a PEM block; errors.TOKEN_PREFIXES), the token
  pasted into the wrong key: it would be stored and shown in plain text, and published on
  a public project or repository.
- **Refused**: every other key marked secret, structured or not, with one error naming the
  key. Every part of a structured key may be the secret one, and these keys' values become
  resource names and URNs (fleet and deployment ids, regions), counts, import ids and
  options, none of which Pulumi can keep secret: carrying "the whole key" as a secret is
  impossible, and guessing the leaf would store the real secret in plain text in state and
  show it in every preview. The value of a refused key is never read, validated or shown,
  and nothing is registered. A secret a service needs belongs in Secret Manager (where the
  registry pull tokens already live, components/pull.py), not in the stack's structured
  config.

The offline engine marks a key secret exactly as the CLI does (any `secure:` leaf,
stackctl/stackfile.py), so `stackctl graph` and `diff` refuse the same stacks `pulumi up`
would.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from components.settings.errors import TOKEN_PREFIXES, line
from components.settings.push_token import TOKEN_KEY

CARRIED = frozenset({TOKEN_KEY})
"""The keys the program can carry as secrets all the way to its resources."""


def refused_secrets(secret: Collection[str]) -> tuple[set[str], list[str]]:
    """The secret keys the program cannot carry, and a problem for each."""
    refused = {key for key in secret if key not in CARRIED}
    return refused, [
        line(
            key,
            "",
            None,
            "holds a secret (a `secure:` value), but only "
            f"{', '.join(sorted(CARRIED))} can carry one: the CLI marks the whole key secret "
            "without saying which part is, and the parts of this key name resources, which "
            "Pulumi cannot keep secret. Set the value in plain text if it is not a secret; "
            "a secret a service needs belongs in Secret Manager, not in this key",
        )
        for key in sorted(refused)
    ]


def pasted_credentials(values: Mapping[str, Any]) -> list[str]:
    """A problem for each leaf of a plain key that holds what only a credential starts with."""
    found: list[str] = []

    def walk(top: str, path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(top, f"{path}.{key}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(top, f"{path}[{i}]", item)
        elif isinstance(value, str) and any(p in value for p in TOKEN_PREFIXES):
            found.append(
                line(
                    top,
                    path,
                    value,
                    "holds what only a credential starts with (a token prefix or a PEM block): "
                    "plain config is stored and shown as it is; a token belongs in secret "
                    "config (`pulumi config set --secret`) or Secret Manager",
                    secret=True,
                )
            )

    for top, value in values.items():
        if top not in CARRIED:
            walk(top, "", value)
    return found
