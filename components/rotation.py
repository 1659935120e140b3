"""Rotation periods kept in state, so that the program never reads the calendar.

A token that must be renewed carries its period's start in a field that forces its
replacement; the period is a `pulumiverse_time.Rotating` (terraform-provider-time's
`time_rotating`, pulumiverse/pulumi-time `sdk/python/pulumiverse_time/rotating.py`): its
`rfc3339` is the moment it was created, stored in state, and the same on every run until
the period ends. So one commit's graph is the same on any day (`stackctl graph --format
hash`, the promotion gate).

When the period ends: `time_rotating` rotates only in Read ("Expiration timestamp ... is
after current timestamp ..., removing from state", terraform-provider-time
`internal/provider/resource_time_rotating.go`), that is under `pulumi refresh` or
`pulumi up --refresh`, never in a plain `up`. After the refresh drops it (the engine then
repairs the dependency lists of what depended on it: `rebuildBaseState` in pulumi/pulumi
`pkg/resource/deploy/deployment_executor.go`), the `up` creates a new period (now), and
every token fed by it is replaced. An `up` without refresh keeps the
old period: the tokens keep working until their own expiry, which lies a margin past the
period's end (the mirror: `rotateBeforeDays`; the pull tokens: a whole period), so a
refreshing apply has that long to run.

The provider: explicit, like every other (components/providers.py; `time` is in
`pulumi:disable-default-providers`). Its plugin is downloaded by the
Pulumi CLI from GitHub releases (`"server": "github://api.github.com/pulumiverse/pulumi-time"`,
`pulumi-plugin.json`): every machine that runs `pulumi` (the CI jobs) must reach
api.github.com, or have the plugin installed beforehand (`pulumi plugin install resource
time 0.1.1 --server github://api.github.com/pulumiverse/pulumi-time`). Offline, the engine
answers it with a fixed fake (stackctl/fakes.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pulumi
import pulumiverse_time


def period(name: str, days: int, opts: pulumi.ResourceOptions) -> pulumiverse_time.Rotating:
    """A rotation period of `days` days, started when it is created."""
    return pulumiverse_time.Rotating(name, rotation_days=days, opts=opts)


def day_of(rfc3339: str) -> str:
    """The period's first day, `YYYY-MM-DD`: what a token's name carries."""
    return _parse(rfc3339).date().isoformat()


def days_after(rfc3339: str, days: int) -> str:
    """The day `days` after the period started, `YYYY-MM-DD` (an expiry date)."""
    return (_parse(rfc3339) + timedelta(days=days)).date().isoformat()


def _parse(rfc3339: str) -> datetime:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
