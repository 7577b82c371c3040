"""Bconnect, a live-chat and omnichannel communication platform run from the Netherlands.

Built from its privacy statement: an individual opt-out or opt-in choice before data is shared
with third parties (other than its service providers) or used for a new purpose; named
digital-marketing processors; targeted advertising with cookies, pixels and web beacons;
requests answered within 30 days, or 60 when complex; minors under 18 need the permission of a
parent or guardian; customer data kept seven years by law; data stored in the EEA.
"""

DAY = 86400
THIRTEEN_MONTHS = 395 * DAY
# A reserved name stands for bconnect.chat.
DOMAIN = ".livechat.test"


def _texts(name, description):
    return {"en": {"name": name, "description": description}}


SITE = {
    "key": "livechat",
    "name": "Bconnect",
    "fields": {
        # A company in the Netherlands: its website in English and Dutch.
        "languages": ["en", "nl"],
        "default_language": "en",
        # "customer data ... legal retention period of seven years": superseded consent records too.
        "retention_days": 7 * 365,
        "regime": "opt_in",
        "regime_by_country": {},
        "consent_lifetime_days": 180,
        "notice_period_days": 30,
        "ip_handling": "truncated",
        # "if you are under 18, you need permission from a parent or guardian to use our website"
        "age_of_digital_consent": 18,
        "dpo_email": "dpo@livechat.example.com",
        # "We will process your request or complaint within 30 days ... complex ... no later than 60 days."
        "rights_deadline_days": 30,
        "rights_complex_deadline_days": 60,
        "consent_mode": {
            "essential": ["functionality_storage", "security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        },
    },
    "origins": ["https://www.livechat.test"],
    "demo_path": "/demo/livechat/",
    "purposes": [
        {
            "key": "essential",
            "kind": "cookie",
            "legal_basis": "contract",
            "essential": True,
            "translations": _texts(
                "Running the website and the chat",
                "Cookies needed to operate the website and open a chat. Always on.",
            ),
        },
        {
            "key": "customer_service",
            "kind": "processing",
            "legal_basis": "contract",
            "essential": True,
            "translations": _texts(
                "Serving you as a customer",
                "We use your information because we want to give you the best service as a customer and we "
                "can't do that without it.",
            ),
        },
        {
            "key": "legal_retention",
            "kind": "processing",
            "legal_basis": "legal_obligation",
            "essential": True,
            "translations": _texts(
                "Records kept by law",
                "Customer data kept for the legal retention period of seven years, for tax purposes.",
            ),
        },
        {
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.5,
            "translations": _texts(
                "Analysing trends",
                "Our analytics provider's cookies, beacons, tags and scripts that analyse trends and track how "
                "users navigate the website.",
            ),
        },
        {
            "key": "advertising",
            "kind": "cookie",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.2,
            "translations": _texts(
                "Targeted advertising",
                "Cookies, pixels and web beacons of third parties that display our advertising on other sites, "
                "based on your browsing activities and interests.",
            ),
        },
        {
            "key": "third_party_sharing",
            "kind": "processing",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "requires_parental_consent": True,
            "grant_rate": 0.15,
            "translations": _texts(
                "Sharing with third parties",
                "Sharing your data with third parties other than the service providers we use to provide the "
                "service: only after your individual opt-in choice.",
            ),
        },
        {
            "key": "digital_marketing",
            "kind": "communication",
            "legal_basis": "legitimate_interest",
            "channel": "email",
            "translations": _texts(
                "Marketing by our digital-marketing agents",
                "Marketing activities our appointed digital-marketing agents carry out on our behalf. You can "
                "object: tell us you no longer wish to receive mail from us.",
            ),
        },
        {
            "key": "recommendations",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "translations": _texts(
                "Personalised recommendations",
                "Personalised recommendations on our website. You may object.",
            ),
        },
        {
            "key": "testimonials",
            "kind": "processing",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "grant_rate": 0.05,
            "translations": _texts(
                "Your testimonial on our website",
                "References and client cases posted with your express prior consent; ask us to change or "
                "remove them at any time.",
            ),
        },
    ],
    "vendors": [
        {
            "key": "sopro",
            "name": "Prospect Global Ltd (trading as Sopro)",
            "country": "GB",
            "purposes": ["digital_marketing"],
        },
        {"key": "analytics_provider", "name": "Analytics provider", "country": "", "purposes": ["analytics"]},
        {
            "key": "ad_partners",
            "name": "Advertising partners",
            "country": "",
            "purposes": ["advertising", "third_party_sharing"],
        },
        {"key": "eea_hosting", "name": "Hosting (European Economic Area)", "country": "NL", "purposes": ["essential"]},
    ],
    "cookies": [
        {
            "name": "sessionid",
            "domain": DOMAIN,
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Keeps your chat and your session together.",
        },
        {
            "name": "bc_chat",
            "domain": DOMAIN,
            "storage": "local_storage",
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Remembers an open chat conversation while you browse.",
        },
        {
            "name": "bc_an",
            "domain": DOMAIN,
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "vendor": "analytics_provider",
            "description": "Analyses trends and how users navigate the website.",
        },
        {
            "name": "bc_px",
            "domain": DOMAIN,
            "storage": "pixel",
            "lifetime_seconds": None,
            "purpose": "advertising",
            "vendor": "ad_partners",
            "description": "Web beacon that targets advertising to your browsing activities and interests.",
        },
    ],
    "policy": {
        "text": (
            "Bconnect privacy statement (summary of version 1).\n"
            "We ask for an individual opt-in or opt-out choice before we share data with third parties other "
            "than our service providers, or use it for a purpose other than the one it was collected for. Our "
            "appointed digital-marketing processors include Prospect Global Ltd (Sopro). Data is stored in "
            "the EEA; customer data is kept seven years by law. We process requests within 30 days, or "
            "within 60 days when they are complex. If you are under 18 you need permission from a parent or "
            "guardian."
        ),
        "change_summary": "First published version.",
    },
    "banner": {
        "en": {
            "title": "Cookies on Bconnect",
            "body": "We use the cookies needed to run the website and the chat. With your consent, our analytics "
            "provider analyses trends and our advertising partners show you targeted ads using cookies, "
            "pixels and web beacons.",
            "accept_all": "Accept all",
            "reject_all": "Reject all",
            "choose": "Choose",
            "save": "Save my choices",
            "close": "Close",
            "dismiss_notice": "Closing this banner keeps only the cookies we need.",
            "withdraw_notice": "You can change your choice at any time from “Cookies” in the footer.",
            "policy_link": "Privacy statement",
            "gpc_notice": "Your browser sent a Global Privacy Control signal: advertising and sharing stay off.",
            "vendors": "Partners",
            "essential_label": "Always on",
        },
        "nl": {
            "title": "Cookies op Bconnect",
            "body": "We gebruiken de cookies die nodig zijn voor de website en de chat. Met uw toestemming "
            "analyseert onze analysepartij trends en tonen onze advertentiepartners u gerichte advertenties met "
            "cookies, pixels en webbakens.",
            "accept_all": "Alles accepteren",
            "reject_all": "Alles weigeren",
            "choose": "Kiezen",
            "save": "Mijn keuzes opslaan",
            "close": "Sluiten",
            "dismiss_notice": "Als u deze banner sluit, blijven alleen de cookies die we nodig hebben.",
            "withdraw_notice": "U kunt uw keuze altijd wijzigen via „Cookies” onderaan de pagina.",
            "policy_link": "Privacyverklaring",
            "gpc_notice": "Uw browser stuurde een Global Privacy Control-signaal: advertenties en delen blijven uit.",
            "vendors": "Partners",
            "essential_label": "Altijd aan",
        },
    },
    "audience": {
        "jurisdictions": {"NL": 50, "BE": 15, "DE": 15, "GB": 10, "FR": 10},
        "french_speaking": {"BE": 0.4, "FR": 0.97},
        "member_share": 0.3,
        "user_prefix": "customer",
    },
}
