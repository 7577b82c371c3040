"""The banner editor's preview is what visitors get: the real runtime with the draft configuration
(the live dialog's purposes, the draft texts, each language's strings) in a sandboxed frame."""

import json
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client

from consent.models import Site
from consent.roles import AUDITOR, DPO, EDITOR
from cookies.models import BannerVersion
from cookies.views import PREVIEW_RUNTIME, runtime
from cookies.wire import embed_config
from tests.staff import make_staff, sign_in

CONFIG = re.compile(r"\}\)\((\{.*\})\);\s*</script>", re.S)


def staff(role, name):
    user, device = make_staff(name, role)
    return sign_in(Client(), user, device)


@pytest.fixture
def network(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    return Site.objects.get(key="network")


def draft_form(site, op="preview", **overrides):
    data = {"op": op}
    for lang in site.languages:
        for key in ("title", "body", "accept_all", "reject_all", "choose", "save", "close"):
            data[f"{lang}__{key}"] = f"Draft {key} [{lang}]"
    data.update(overrides)
    return data


def frame_urls(html):
    return [unescape(src) for src in re.findall(r'<iframe src="([^"]+)"', html)]


def frame_config(response):
    """The configuration the framed page runs the runtime with."""
    body = response.content.decode()
    match = CONFIG.search(body)
    assert match, body[:500]
    return json.loads(match.group(1)), body


def test_each_language_is_framed_at_phone_and_desktop_width_and_runs_the_real_runtime(network):
    dpo = staff(DPO, "dpo")
    page = dpo.post("/admin/console/banner/network/", draft_form(network))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('sandbox="allow-scripts"') == 4  # en and fr, phone and desktop
    assert 'width="360"' in html and 'width="1280"' in html
    urls = frame_urls(html)
    assert sorted(re.search(r"lang=(\w+)", u).group(1) for u in urls) == ["en", "en", "fr", "fr"]

    framed = dpo.get(next(u for u in urls if "lang=fr" in u))
    assert framed.status_code == 200
    config, body = frame_config(framed)
    js, _ = runtime(PREVIEW_RUNTIME)
    assert js in body  # the runtime's sources, built with preview mode in (build.mjs)
    assert '<html lang="fr">' in body
    assert config["preview"] is True and config["regime"] == network.regime  # the site's own by default
    assert config["texts"]["title"] == "Draft title [fr]" and config["texts"]["body"] == "Draft body [fr]"
    # Runtime strings in the frame's language, not English.
    assert config["texts"]["reload"] == "Recharger"
    assert config["details"]["texts"]["prefs_title"] == "Préférences de confidentialité"
    assert config["details"]["texts"]["cookies_label"] == "Cookies et stockage"
    # The purposes are the live dialog's (not every purpose of the catalogue), named in French.
    live = embed_config(network, "fr")
    assert [p["key"] for p in config["purposes"]] == [p["key"] for p in live["purposes"]]
    assert [p["name"] for p in config["purposes"]] == [p["name"] for p in live["purposes"]]
    assert len(config["purposes"]) < network.purposes.count()
    assert [p["key"] for p in config["details"]["purposes"]] == [p["key"] for p in live["purposes"]]
    assert not BannerVersion.objects.filter(published_at__isnull=True).exists()  # previewing saves nothing

    english, _ = frame_config(dpo.get(next(u for u in urls if "lang=en" in u)))
    assert (
        english["texts"]["title"] == "Draft title [en]"
        and english["details"]["texts"]["prefs_title"] == "Privacy preferences"
    )


def test_the_frame_is_sandboxed_by_its_own_policy_and_only_the_console_may_frame_it(network):
    dpo = staff(DPO, "dpo")
    urls = frame_urls(dpo.post("/admin/console/banner/network/", draft_form(network)).content.decode())
    framed = dpo.get(urls[0])
    policy = framed["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "default-src 'none'" in policy and "sandbox allow-scripts" in policy
    assert f"script-src 'nonce-{nonce}' http://testserver/static/consent/;" in policy
    assert "frame-ancestors http://testserver" in policy and "connect-src" not in policy  # nothing to connect to
    assert framed["X-Frame-Options"] == "SAMEORIGIN" and "no-store" in framed["Cache-Control"]
    body = framed.content.decode()
    assert body.count("<script") == body.count(f'<script nonce="{nonce}">') == 1
    assert dpo.get(urls[0])["Content-Security-Policy"] != policy  # a fresh nonce each time


def test_each_regime_and_the_preferences_view_can_be_previewed(network):
    dpo = staff(DPO, "dpo")
    html = dpo.post(
        "/admin/console/banner/network/", draft_form(network, preview_regime="opt_out", preview_view="prefs")
    ).content.decode()
    assert '<option value="opt_out" selected>' in html
    url = frame_urls(html)[0]
    assert "regime=opt_out" in url and "view=prefs" in url
    config, body = frame_config(dpo.get(url))
    assert config["regime"] == "opt_out"
    assert 'window.consent = [["show"]];' in body  # opens the preferences dialog

    network.regime_settings = {"notice": {"display": "none"}}
    network.save(update_fields=["regime_settings"])
    quiet = dpo.get(url.replace("regime=opt_out", "regime=notice")).content.decode()
    assert 'id="preview-none"' in quiet and "<script" not in quiet


def test_a_get_previews_the_saved_draft_in_every_language(network):
    dpo = staff(DPO, "dpo")
    saved = dpo.post("/admin/console/banner/network/", draft_form(network, op="save"))
    assert saved.status_code == 302
    urls = frame_urls(dpo.get("/admin/console/banner/network/?preview_regime=notice").content.decode())
    assert len(urls) == 4 and all("regime=notice" in u for u in urls)
    config, _ = frame_config(dpo.get(urls[0]))
    assert config["texts"]["accept_all"].startswith("Draft accept_all")


def test_bad_preview_requests_are_refused_with_the_reason(network):
    dpo = staff(DPO, "dpo")
    url = frame_urls(dpo.post("/admin/console/banner/network/", draft_form(network)).content.decode())[0]
    for bad, status, reason in [
        (url.replace("lang=en", "lang=de"), 400, "lang must be one of the site's languages: en, fr."),
        (url.replace(f"regime={network.regime}", "regime=x"), 400, "regime must be one of: opt_in, opt_out, notice."),
        (url.replace("view=banner", "view=x"), 400, "view must be one of: banner, prefs."),
        (re.sub(r"d=\w+", "d=0000", url), 404, "no longer kept"),
    ]:
        response = dpo.get(bad)
        assert response.status_code == status, bad
        assert reason in response.content.decode()
    other = staff(DPO, "other-dpo").get(url)  # drafts live in the previewer's own session
    assert other.status_code == 404
    auditor = staff(AUDITOR, "auditor").get(url)
    assert auditor.status_code == 403


def test_the_form_labels_every_field_shows_the_whole_body_and_puts_errors_beside_fields(network):
    editor = staff(EDITOR, "editor")
    long_body = "\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(8))
    html = editor.post(
        "/admin/console/banner/network/", draft_form(network, en__body=long_body, fr__reject_all="", op="save")
    ).content.decode()
    for lang in network.languages:
        for key in ("title", "body", "accept_all", "reject_all", "choose", "save", "close"):
            assert f'<label for="id_{lang}__{key}"' in html
    rows = int(re.search(r'<textarea name="en__body" cols="80" rows="(\d+)"', html).group(1))
    assert rows >= 17  # 8 paragraphs of about 190 characters, wrapped at 80
    beside = r'id="id_fr__reject_all"[^>]*>\s*<div class="console-field-error" id="id_fr__reject_all_error">(.*?)</div>'
    error = re.search(beside, html, re.S)
    assert error and "Needed in every language" in error.group(1)
    assert not BannerVersion.objects.filter(published_at__isnull=True).exists()  # nothing saved


def test_the_site_page_links_a_banner_preview_in_each_regime(network):
    dpo = staff(DPO, "dpo")
    page = dpo.get(f"/admin/consent/site/{network.pk}/change/").content.decode()
    for regime in ("opt_in", "opt_out", "notice"):
        link = f"/admin/console/banner/network/?preview_regime={regime}#previews-title"
        assert link in page
        html = dpo.get(link.split("#")[0]).content.decode()
        assert f'<option value="{regime}" selected>' in html
        assert all(f"regime={regime}" in url for url in frame_urls(html))
