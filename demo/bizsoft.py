"""BizXpert, a vendor of business software (US company, customers in the EU and the US).

Built from its privacy policy: it relies mostly on contract, legitimate interest and legal
obligation, and asks for explicit consent only before third-party direct marketing by email or
text message, which can be withdrawn at any time; every message carries an opt-out link. It
names its processors (Google Analytics, Stripe, Salesforce, Segment, Mailgun, PayPal, AWS),
keeps basic customer data six years after the relationship ends and answers requests within
one month. Cookies that are not needed to run the site wait for a yes in the banner (ePrivacy),
even where the policy names legitimate interest for the analysis behind them.
"""

DAY = 86400
THIRTEEN_MONTHS = 395 * DAY
# Reserved names stand for bizxpert.com and app.bizxpert.com.
DOMAIN = ".bizsoft.test"


def _texts(name, description):
    return {"en": {"name": name, "description": description}}


SITE = {
    "key": "bizsoft",
    "name": "BizXpert",
    "fields": {
        "languages": ["en"],
        "default_language": "en",
        "regime": "opt_in",
        "regime_by_country": {"US-CA": "opt_out"},
        "consent_lifetime_days": 180,
        "notice_period_days": 30,
        # "basic customer data ... six years after the relationship ends": superseded consent records too.
        "retention_days": 6 * 365,
        "ip_handling": "truncated",
        # "our website and services are not designed for children"
        "age_of_digital_consent": 16,
        "dpo_email": "dpo@bizsoft.example.com",
        # "We aim to respond to all legitimate requests within one month": the default rule.
        "rights_deadline_days": None,
        "rights_complex_deadline_days": None,
        "consent_mode": {
            "essential": ["functionality_storage", "security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        },
    },
    "origins": ["https://www.bizsoft.test", "https://app.bizsoft.test"],
    "demo_path": "/demo/bizsoft/",
    "purposes": [
        {
            "key": "essential",
            "kind": "cookie",
            "legal_basis": "contract",
            "essential": True,
            "translations": _texts(
                "Running the service you signed up for",
                "Registering you as a subscriber or for a free trial, processing and delivering your order "
                "and managing payments (performance of a contract with you).",
            ),
        },
        {
            "key": "account_notices",
            "kind": "communication",
            "legal_basis": "contract",
            "essential": True,
            "channel": "email",
            "translations": _texts(
                "Account and policy notices",
                "Managing our relationship with you, including notifying you about changes to our terms "
                "and conditions or privacy policy. These cannot be switched off.",
            ),
        },
        {
            "key": "legal_records",
            "kind": "processing",
            "legal_basis": "legal_obligation",
            "essential": True,
            "translations": _texts(
                "Records kept by law",
                "Basic customer information (contact, identity and transaction data) kept for six years "
                "after the end of the customer relationship, for tax purposes.",
            ),
        },
        {
            "key": "security",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "essential": True,
            "translations": _texts(
                "Protecting our business and this website",
                "Troubleshooting, system maintenance, network security and fraud prevention.",
            ),
        },
        {
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "in_banner": True,
            "grant_rate": 0.55,
            "translations": _texts(
                "Website analytics",
                "Google Analytics and Segment measure how you use our website so that we can improve it. "
                "Their cookies are set only if you agree.",
            ),
        },
        {
            "key": "advertising",
            "kind": "cookie",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "in_banner": True,
            "grant_rate": 0.25,
            "translations": _texts(
                "Relevant advertisements",
                "Delivering relevant website content and advertisements to you and measuring how effective "
                "they are, with advertising networks inside or outside the EU.",
            ),
        },
        {
            "key": "product_insights",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "translations": _texts(
                "Improving our products",
                "Data analytics to improve our website, products, marketing and customer relationships "
                "(our legitimate interest). You may object.",
            ),
        },
        {
            "key": "our_offers_email",
            "kind": "communication",
            "legal_basis": "legitimate_interest",
            "channel": "email",
            "translations": _texts(
                "Our offers by email",
                "Details about our services or offers we think you might like, if you requested information "
                "from us or use our services, unless you opt out. Every message has an opt-out link.",
            ),
        },
        {
            "key": "partner_marketing_email",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "email",
            "grant_rate": 0.2,
            "translations": _texts(
                "Partner offers by email",
                "Third-party direct marketing sent to you by email, only with your explicit opt-in. You can "
                "withdraw at any time with the link in every message.",
            ),
        },
        {
            "key": "partner_marketing_sms",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "sms",
            "grant_rate": 0.1,
            "translations": _texts(
                "Partner offers by text message",
                "Third-party direct marketing sent to you by text message, only with your explicit opt-in. "
                "Reply STOP or use the link in any message to stop.",
            ),
        },
    ],
    "vendors": [
        {"key": "google_analytics", "name": "Google Analytics", "country": "US", "purposes": ["analytics"]},
        {"key": "segment", "name": "Segment", "country": "US", "purposes": ["analytics", "product_insights"]},
        {"key": "stripe", "name": "Stripe", "country": "US", "purposes": ["essential"]},
        {"key": "paypal", "name": "PayPal", "country": "US", "purposes": ["essential"]},
        {"key": "salesforce", "name": "Salesforce", "country": "US", "purposes": ["essential", "our_offers_email"]},
        {
            "key": "mailgun",
            "name": "Mailgun",
            "country": "US",
            "purposes": ["account_notices", "our_offers_email", "partner_marketing_email"],
        },
        {"key": "aws", "name": "Amazon Web Services", "country": "US", "purposes": ["essential", "legal_records"]},
        {"key": "ad_networks", "name": "Advertising networks", "country": "", "purposes": ["advertising"]},
    ],
    "cookies": [
        {
            "name": "sessionid",
            "domain": DOMAIN,
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Keeps you signed in to your account.",
        },
        {
            "name": "csrftoken",
            "domain": DOMAIN,
            "lifetime_seconds": 365 * DAY,
            "purpose": "essential",
            "description": "Protects forms against cross-site request forgery.",
        },
        {
            "name": "__stripe_mid",
            "domain": DOMAIN,
            "lifetime_seconds": 365 * DAY,
            "purpose": "essential",
            "vendor": "stripe",
            "description": "Stripe fraud prevention while you pay.",
        },
        {
            "name": "__stripe_sid",
            "domain": DOMAIN,
            "lifetime_seconds": 1800,
            "purpose": "essential",
            "vendor": "stripe",
            "description": "Stripe fraud prevention for one payment session.",
        },
        {
            "name": "_ga",
            "domain": DOMAIN,
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "vendor": "google_analytics",
            "description": "Google Analytics: tells visits apart; kept at most 13 months.",
        },
        {
            "name": "ajs_anonymous_id",
            "domain": DOMAIN,
            "storage": "local_storage",
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "vendor": "segment",
            "description": "Segment: an anonymous id that links the pages of your visits.",
        },
        {
            "name": "_gcl_au",
            "domain": DOMAIN,
            "lifetime_seconds": 90 * DAY,
            "purpose": "advertising",
            "vendor": "ad_networks",
            "description": "Measures whether an advertisement led to a sign-up.",
        },
    ],
    "policy": {
        "text": (
            "BizXpert privacy policy (summary of version 1).\n"
            "We process your data to perform our contract with you, for our legitimate interests and to "
            "comply with the law. We seek your explicit consent before any third-party direct marketing by "
            "email or text, and you can withdraw it at any time; every message has an opt-out link. Our "
            "processors include Google Analytics, Stripe, Salesforce, Segment, Mailgun, PayPal and AWS. "
            "Basic customer data is kept six years after the relationship ends. We respond to requests "
            "within one month."
        ),
        "change_summary": "First published version.",
    },
    "banner": {
        "en": {
            "title": "Cookies on BizXpert",
            "body": "We use cookies needed to run our website and your account. With your consent we also use "
            "Google Analytics and Segment to improve the site, and advertising cookies to measure our ads.",
            "accept_all": "Accept all",
            "reject_all": "Reject all",
            "choose": "Choose",
            "save": "Save my choices",
            "close": "Close",
            "dismiss_notice": "Closing this banner keeps only the cookies we need.",
            "withdraw_notice": "You can change your choice at any time from “Cookie settings” in the footer.",
            "policy_link": "Privacy policy",
            "gpc_notice": "Your browser sent a Global Privacy Control signal: advertising stays off.",
            "vendors": "Processors",
            "essential_label": "Always on",
        },
    },
    "audience": {
        "jurisdictions": {"US-FL": 20, "US-CA": 15, "US-NY": 15, "GB": 15, "DE": 10, "FR": 10, "IE": 5, "NL": 10},
        "french_speaking": {},
        "member_share": 0.5,
        "user_prefix": "customer",
    },
}
