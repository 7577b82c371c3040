"""What the banner endpoint tests share: the published texts, a decision body, posting it."""

import uuid

TEXTS = {
    lang: {k: f"{k} {lang}" for k in ("title", "body", "accept_all", "reject_all", "choose", "save", "close")}
    for lang in ("en", "fr")
}


def decision(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "visitor_id": "v-1",
        "decisions": {"analytics": "granted", "advertising": "denied", "marketing_email": "granted"},
        "method": "custom",
        "banner_version": 1,
        "policy_version": None,
        "language": "en",
    }
    body.update(overrides)
    return body


def post(client, body, site_key="acme", **extra):
    return client.post(f"/api/v1/sites/{site_key}/decisions", body, format="json", **extra)
