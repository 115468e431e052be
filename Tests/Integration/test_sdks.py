"""Unmodified Segment and RudderStack Python SDKs deliver to Tessera."""

import uuid

import rudderstack.analytics as rudder
import segment.analytics as segment


def drive(sdk, server, tag):
    """Sends identify, track, page, screen, group and alias; returns how many calls were made."""
    sdk.write_key = server.write_key
    sdk.sync_mode = False
    errors = []
    sdk.on_error = lambda error, items: errors.append(error)
    user = f"{tag}-user-{uuid.uuid4().hex[:8]}"
    sdk.identify(user, {"email": f"{user}@example.com", "plan": "pro"})
    sdk.track(user, "Order Completed", {"order_id": "o-1", "total": 42.5, "currency": "EUR"})
    sdk.page(user, "Docs", "Quick start", {"path": "/docs"})
    sdk.screen(user, "App", "Home")
    sdk.group(user, f"{tag}-account", {"name": "Example Ltd", "industry": "retail"})
    sdk.alias(f"{tag}-anonymous", user)
    sdk.flush()
    assert not errors, f"{tag} reported delivery errors: {errors}"
    return user


def run(server):
    segment.host = server.url
    segment_user = drive(segment, server, "segment")
    rudder.dataPlaneUrl = server.url
    rudder_user = drive(rudder, server, "rudder")

    events = server.events()
    for user in (segment_user, rudder_user):
        mine = [event for event in events if event["userId"] == user]
        types = sorted(event["type"] for event in mine)
        assert types == ["alias", "group", "identify", "page", "screen", "track"], (user, types)
        ids = [event["messageId"] for event in mine]
        assert len(set(ids)) == len(ids) == 6, f"{user}: every message arrives once"
        track = next(event for event in mine if event["type"] == "track")
        assert track["record"]["properties"]["total"] == 42.5
        assert track["record"]["context"]["library"]["name"], "the SDK's context is kept"
    print(f"sdks: segment-analytics-python and rudder-sdk-python delivered {len(events)} messages, each once")
