"""A notification in words (issue 14): the sentence a person reads, in the generic body's
`summary` and, in Slack's markup, a Slack message's text. By kind: a threshold names its
statistic, value, threshold and window; a silence the quiet; a regression the release, the
metric's p75 change and the baseline (from the evaluator's reading)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # webhooks.py imports this module; it is only named in annotations here
    from services.contracts.webhooks import Notification

HEADLINES = {"firing": "Firing", "resolved": "Resolved", "test": "Test notification"}
EMOJI = {"firing": ":red_circle:", "resolved": ":large_green_circle:", "test": ":bell:"}


def summary(n: Notification, *, markup: bool) -> str:
    """`Firing: LCP on checkout — p75 LCP is 4,530 ms (threshold: above 4,000 ms) over the
    last 30 minutes, 1,204 samples, route /checkout, device mobile, release v1.4.2`;
    with `markup`, Slack's mrkdwn (escaped, bold, the link)."""
    d = n.details
    esc = escape if markup else str
    if n.transition == "test":
        words = d.message or f"Vitals sends project {n.project.slug}'s alerts to this destination."
        line = f"{HEADLINES['test']}: {esc(words)}"
        return f"{EMOJI['test']} {line}" if markup else line
    name = esc(d.rule_name or f"rule {d.rule_id}")
    headline = f"{HEADLINES[n.transition]}: {name}"
    if markup:
        headline = f"*{headline}*"
    parts = [esc(p) for p in MEASURES.get(d.kind or "threshold", _threshold)(n) if p]
    if d.samples is not None and d.kind != "silence":
        parts.append(f"{d.samples:,} samples")
    f = d.filters
    parts += [f"{key} {esc(value)}" for key, value in (
        ("route", f.route), ("device", f.device), ("country", f.country), ("browser", f.browser),
    ) if value]  # fmt: skip
    if d.release and d.kind != "regression":  # a regression's text names it
        parts.append(f"release {esc(d.release)}")
    text = headline + (" — " + ", ".join(parts) if parts else "")
    if not markup:
        return text
    link = f"\n<{d.link}|Open in Vitals>" if d.link else ""
    return f"{EMOJI[n.transition]} {text}{link}"


STATISTIC_LABELS = {"p75": "p75", "good_share": "good share of"}


def _threshold(n: Notification) -> list[str | None]:
    """`p75 LCP is 4,530 ms (threshold: above 4,000 ms) over the last 30 minutes`."""
    d = n.details
    measure: str | None = d.metric
    if d.value is not None:
        statistic = STATISTIC_LABELS[d.statistic] if d.statistic else None
        label = " ".join(filter(None, (statistic, d.metric))) or "value"
        measure = f"{label} is {_format(d.value, d.metric, d.statistic)}"
        if d.threshold is not None:
            bound = " ".join(
                filter(None, (d.comparison, _format(d.threshold, d.metric, d.statistic)))
            )
            measure += f" (threshold: {bound})"
    if d.window_minutes:
        measure = " ".join(filter(None, (measure, f"over the last {_duration(d.window_minutes)}")))
    return [measure]


def _silence(n: Notification) -> list[str | None]:
    minutes = _duration(n.details.window_minutes) if n.details.window_minutes else None
    if n.transition == "resolved":
        return ["page views arrive again"]
    quiet = f"no page views in the last {minutes}" if minutes else "no page views"
    return [quiet + ", while the same hours of earlier weeks had traffic"]


def _regression(n: Notification) -> list[str | None]:
    """`release v2 regressed LCP: p75 +12.0% (2,900 ms against 2,590 ms in v1), device
    mobile, route /checkout`, from the worst regressed scope the evaluator found."""
    d = n.details
    release = f"release {d.release}" if d.release else "the newest release"
    if n.transition == "resolved":
        return [f"{release} is no longer judged regressed"]
    found = d.reading.get("regressions")
    worst = found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else {}
    metric = worst.get("metric") if isinstance(worst.get("metric"), str) else d.metric
    text = f"{release} regressed" + (f" {metric}" if metric else "")
    change, p75, base = worst.get("change"), worst.get("p75"), worst.get("baseline_p75")
    if isinstance(change, int | float):
        text += f": p75 {change:+.1%}"
        if isinstance(p75, int | float) and isinstance(base, int | float):
            baseline = d.reading.get("baseline_release")
            against = f" in {baseline}" if isinstance(baseline, str) else ""
            text += (
                f" ({_format(p75, metric, 'p75')} against {_format(base, metric, 'p75')}{against})"
            )
    where = [
        f"{key} {worst[key]}" for key in ("device", "route") if isinstance(worst.get(key), str)
    ]
    return [text, *where]


MEASURES = {"threshold": _threshold, "silence": _silence, "regression": _regression}


def _format(value: float, metric: str | None, statistic: str | None) -> str:
    if statistic == "good_share":
        return f"{value:.1%}"
    if metric == "CLS":
        return f"{value:.3f}"
    if metric is not None:
        return f"{value:,.0f} ms"
    return f"{value:g}"


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        return "day" if minutes == 1440 else f"{minutes // 1440} days"
    if minutes % 60 == 0:
        return "hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} minutes"


def escape(text: str) -> str:
    """Slack's mrkdwn control characters (api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
