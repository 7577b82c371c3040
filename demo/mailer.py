"""Technology Toolbox, an email marketing tool run by a French company.

Built from its privacy policy: no cookie is set by default except those needed to run the
site and the service (announced by a banner), the choice is remembered, newsletters only
after an express opt-in with an unsubscribe link in every email, event data deleted every
13 months, policy changes notified at least 30 days before they apply.
"""

DAY = 86400
THIRTEEN_MONTHS = 395 * DAY
DOMAIN = ".tech-toolbox.test"

SITE = {
    "key": "mailer",
    "name": "Technology Toolbox",
    "fields": {
        "languages": ["fr", "en"],
        "default_language": "fr",
        "regime": "opt_in",
        "regime_by_country": {"US-CA": "opt_out"},
        # CNIL: a consent is asked again after 6 months.
        "consent_lifetime_days": 180,
        # "notified ... thirty (30) days at least before any changes come into force"
        "notice_period_days": 30,
        # "event data ... deleted every 13 months": the platform's analytics data (daily statistics,
        # delivery logs) is kept 13 months too.
        "data_retention_days": 13 * 30,
        "ip_handling": "truncated",
        "age_of_digital_consent": 15,
        # "requests ... answered within 30 days"
        "rights_deadline_days": 30,
        "dpo_email": "privacy@mailer.example.com",
        "consent_mode": {
            "essential": ["functionality_storage", "security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        },
    },
    "demo_path": "/demo/mailer/",
    "purposes": [
        {
            "key": "essential",
            "kind": "cookie",
            "legal_basis": "contract",
            "essential": True,
            "translations": {
                "fr": {
                    "name": "Fonctionnement du site et du service",
                    "description": "Cookies nécessaires pour vous connecter, fournir le service demandé, "
                    "retenir votre langue, sécuriser les paiements et mémoriser votre choix sur les cookies. "
                    "Ce sont les seuls installés par défaut.",
                },
                "en": {
                    "name": "Running the site and the service",
                    "description": "Cookies needed to sign you in, supply the service you asked for, "
                    "remember your language, secure payments and remember your cookie choice. They are "
                    "the only ones set by default.",
                },
            },
        },
        {
            "key": "security",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "essential": True,
            "translations": {
                "fr": {
                    "name": "Prévention des abus",
                    "description": "Prévenir, détecter et examiner les activités interdites ou illicites et "
                    "faire respecter les conditions d'utilisation et la politique d'envoi.",
                },
                "en": {
                    "name": "Abuse prevention",
                    "description": "Preventing, detecting and investigating prohibited or unlawful activity "
                    "and enforcing the terms of use and the sending policy.",
                },
            },
        },
        {
            "key": "legal_notices",
            "kind": "communication",
            "legal_basis": "legal_obligation",
            "essential": True,
            "translations": {
                "fr": {
                    "name": "Avis légaux",
                    "description": "Notification des changements de cette politique au moins 30 jours avant "
                    "leur entrée en vigueur, et information en cas de violation de données.",
                },
                "en": {
                    "name": "Legal notices",
                    "description": "Notice of changes to this policy at least 30 days before they come into "
                    "force, and information about any data breach.",
                },
            },
        },
        {
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "in_banner": True,
            "grant_rate": 0.6,
            "translations": {
                "fr": {
                    "name": "Mesure d'audience",
                    "description": "Outils d'analyse qui mesurent la fréquentation et le parcours sur le site "
                    "pour en améliorer le contenu. Les données d'événements sont supprimées tous les 13 mois.",
                },
                "en": {
                    "name": "Audience measurement",
                    "description": "Analytics tools that measure visits and browsing on the site to improve "
                    "its content. Event data is deleted every 13 months.",
                },
            },
        },
        {
            "key": "advertising",
            "kind": "cookie",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "in_banner": True,
            "grant_rate": 0.25,
            "translations": {
                "fr": {
                    "name": "Publicité ciblée",
                    "description": "Traceurs qui permettent de vous adresser des publicités ciblées sur nos "
                    "services et d'en mesurer l'efficacité.",
                },
                "en": {
                    "name": "Targeted advertising",
                    "description": "Trackers used to send you targeted advertisements about our services "
                    "and to measure how well they work.",
                },
            },
        },
        {
            "key": "marketing_email",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "email",
            # An email marketing tool proves "explicit consent": the newsletter needs a confirmed address.
            "double_opt_in": True,
            "grant_rate": 0.4,
            "translations": {
                "fr": {
                    "name": "Newsletter et offres",
                    "description": "Notre newsletter et les offres promotionnelles sur nos services et ceux "
                    "de nos partenaires, uniquement si vous l'avez expressément demandé. Un lien de "
                    "désinscription figure dans chaque e-mail.",
                },
                "en": {
                    "name": "Newsletter and offers",
                    "description": "Our newsletter and promotional offers about our services and our "
                    "partners', only if you expressly opted in. Every email has an unsubscribe link.",
                },
            },
        },
        {
            "key": "campaign_statistics",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "translations": {
                "fr": {
                    "name": "Statistiques de vos campagnes",
                    "description": "Analyse des taux d'ouverture, de clic et de rebond de vos campagnes pour "
                    "évaluer leurs performances. Vous pouvez vous y opposer.",
                },
                "en": {
                    "name": "Campaign statistics",
                    "description": "Analysing open, click and bounce rates of your campaigns to assess their "
                    "performance. You may object.",
                },
            },
        },
    ],
    # The policy names its recipients by role rather than by company.
    "vendors": [
        {
            "key": "eu_hosting",
            "name": "Hosting provider (European Union)",
            "translations": {"fr": {"name": "Hébergeur (Union européenne)"}},
            "country": "",
            "purposes": ["essential", "security"],
        },
        {
            "key": "card_payments",
            "name": "Card payment processor",
            "translations": {"fr": {"name": "Prestataire de paiement par carte"}},
            "country": "",
            "purposes": ["essential"],
        },
        {
            "key": "audience_tools",
            "name": "Audience measurement tools",
            "translations": {"fr": {"name": "Outils de mesure d'audience"}},
            "country": "",
            "purposes": ["analytics"],
        },
        {
            "key": "ad_partners",
            "name": "Advertising partners",
            "translations": {"fr": {"name": "Partenaires publicitaires"}},
            "country": "",
            "purposes": ["advertising"],
        },
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
            "name": "tt_lang",
            "domain": DOMAIN,
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "essential",
            "description": "Remembers the language you speak on the site.",
        },
        {
            "name": "tt_pay",
            "domain": DOMAIN,
            "lifetime_seconds": None,
            "purpose": "essential",
            "vendor": "card_payments",
            "description": "Secures a card payment while it is being made.",
        },
        {
            "name": "tt_aud",
            "domain": DOMAIN,
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "vendor": "audience_tools",
            "description": "Counts visits and measures browsing; kept at most 13 months.",
        },
        {
            "name": "tt_aud_ses",
            "domain": DOMAIN,
            "lifetime_seconds": 1800,
            "purpose": "analytics",
            "vendor": "audience_tools",
            "description": "Groups the pages of one visit; expires after 30 minutes.",
        },
        {
            "name": "tt_ads",
            "domain": DOMAIN,
            "lifetime_seconds": 90 * DAY,
            "purpose": "advertising",
            "vendor": "ad_partners",
            "description": "Targets and measures advertisements about our services.",
        },
        {
            "name": "tt_ads_px",
            "domain": DOMAIN,
            "storage": "pixel",
            "lifetime_seconds": None,
            "purpose": "advertising",
            "vendor": "ad_partners",
            "description": "Pixel that measures whether an advertisement led to a sign-up.",
        },
    ],
    "policy": {
        "text": (
            "Technology Toolbox privacy policy (summary of version 1).\n"
            "Apart from the cookies needed to run the site and the service, no cookie is set until you "
            "agree; your choice is remembered. We send our newsletter only to those who expressly opted "
            "in, with an unsubscribe link in every email. Event data such as statistics is deleted every "
            "13 months. Data is hosted in the European Union. Requests are answered within 30 days. "
            "Changes to this policy are notified at least 30 days before they come into force."
        ),
        "change_summary": "Première version publiée.",
    },
    "banner": {
        "fr": {
            "title": "Les cookies sur Technology Toolbox",
            "body": "Seuls les cookies nécessaires au site et au service sont installés par défaut. Avec "
            "votre accord, nous utilisons aussi des outils de mesure d'audience et de publicité ciblée. "
            "Nous retenons votre choix, que vous pouvez modifier à tout moment.",
            "accept_all": "Tout accepter",
            "reject_all": "Tout refuser",
            "choose": "Personnaliser",
            "save": "Enregistrer mes choix",
            "close": "Fermer",
            "dismiss_notice": "Fermer ce bandeau revient à refuser les cookies non nécessaires.",
            "withdraw_notice": "Vous pouvez retirer votre consentement à tout moment via le lien « Cookies » "
            "en bas de page.",
            "policy_link": "Politique de confidentialité",
            "gpc_notice": "Votre navigateur a envoyé un signal Global Privacy Control : la publicité ciblée "
            "reste désactivée.",
            "vendors": "Partenaires",
            "essential_label": "Toujours actif",
        },
        "en": {
            "title": "Cookies on Technology Toolbox",
            "body": "Only the cookies needed to run the site and the service are set by default. With your "
            "consent we also use audience measurement and targeted advertising tools. We remember your "
            "choice, and you can change it at any time.",
            "accept_all": "Accept all",
            "reject_all": "Reject all",
            "choose": "Customise",
            "save": "Save my choices",
            "close": "Close",
            "dismiss_notice": "Closing this banner refuses all cookies that are not needed.",
            "withdraw_notice": "You can withdraw your consent at any time with the “Cookies” link at the "
            "bottom of the page.",
            "policy_link": "Privacy policy",
            "gpc_notice": "Your browser sent a Global Privacy Control signal: targeted advertising stays off.",
            "vendors": "Partners",
            "essential_label": "Always on",
        },
    },
    "audience": {
        "jurisdictions": {"FR": 60, "BE": 10, "CH": 4, "DE": 6, "ES": 4, "GB": 6, "US-CA": 6, "CA": 4},
        "french_speaking": {"FR": 0.97, "BE": 0.6, "CH": 0.7, "CA": 0.5},
        "member_share": 0.4,
        "user_prefix": "customer",
    },
}
