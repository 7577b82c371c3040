"""bizTOnet, a professional social network (web and app, run from France).

Built from the network's published privacy policy: what it does with data, on which legal
basis, and what it says a member can refuse. Where the policy leaves a choice out (it ignores
Do Not Track), the demo does better and honours Global Privacy Control.

Over 400 lines on purpose: the demo is data (purposes, vendors, texts in two languages) read top to
bottom like the policy it copies.
"""

DAY = 86400
YEAR = 365 * DAY
THIRTEEN_MONTHS = 395 * DAY
DOMAIN = ".biztonet.test"

SITE = {
    "key": "network",
    "name": "bizTOnet",
    "fields": {
        "languages": ["en", "fr"],
        "default_language": "en",
        # Three regimes (docs/regimes.md): the EU/EEA, UK and other opt-in places by the built-in
        # map; California opt-out of sale and sharing (a GPC signal counts as that opt-out);
        # everywhere else a dismissable notice. Unknown visitors count as in France, its home.
        "regime": "notice",
        "regime_by_country": {"US-CA": "opt_out"},
        "default_jurisdiction": "FR",
        "regime_settings": {
            "opt_in": {"reask_days": 182},
            # CPRA: precise geolocation is sensitive; a financial incentive needs prior opt-in (1798.125).
            "opt_out": {"reask_days": 365, "sensitive": ["ccpa_financial_incentives", "precise_location"]},
            "notice": {"display": "notice", "sensitive": ["ccpa_financial_incentives", "precise_location"]},
        },
        "consent_lifetime_days": 180,
        "notice_period_days": 30,
        "ip_handling": "truncated",
        # "If ... you are under 16 years of age, we will seek your parent or legal guardian's consent."
        "age_of_digital_consent": 16,
        "dpo_email": "privacy@network.example.com",
        "consent_mode": {
            "essential": ["functionality_storage", "security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
            "third_party_sharing": ["ad_user_data"],
        },
    },
    "demo_path": "/demo/",
    # Purposes in banner order. `in_banner` and `grant_rate` only steer the generated history.
    "purposes": [
        {
            "key": "essential",
            "kind": "cookie",
            "legal_basis": "contract",
            "essential": True,
            "translations": {
                "en": {
                    "name": "Essential service",
                    "description": "Signing in, keeping your session, remembering your language and "
                    "your privacy choices. The app cannot work without them.",
                },
                "fr": {
                    "name": "Service essentiel",
                    "description": "Connexion, maintien de votre session, mémorisation de votre langue et "
                    "de vos choix de confidentialité. L'application ne peut pas fonctionner sans eux.",
                },
            },
        },
        {
            "key": "security",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "essential": True,
            "translations": {
                "en": {
                    "name": "Security and fraud prevention",
                    "description": "Using account and usage data to detect fraud, abuse and breaches of "
                    "the User Agreement, and to protect members. This cannot be switched off.",
                },
                "fr": {
                    "name": "Sécurité et prévention de la fraude",
                    "description": "Utilisation des données de compte et d'usage pour détecter la fraude, "
                    "les abus et les manquements aux conditions d'utilisation, et protéger les membres. "
                    "Ce traitement ne peut pas être désactivé.",
                },
            },
        },
        {
            "key": "service_messages",
            "kind": "communication",
            "legal_basis": "contract",
            "essential": True,
            "translations": {
                "en": {
                    "name": "Service messages",
                    "description": "Messages about service availability, security and legal notices, "
                    "including notice of significant changes to this policy. They cannot be refused.",
                },
                "fr": {
                    "name": "Messages de service",
                    "description": "Messages sur la disponibilité du service, la sécurité et les avis "
                    "juridiques, y compris l'annonce des changements importants de cette politique. "
                    "Ils ne peuvent pas être refusés.",
                },
            },
        },
        {
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.7,
            "translations": {
                "en": {
                    "name": "Usage and performance measurement",
                    "description": "Cookies that measure how the app and website are used and how they "
                    "perform, so that we can fix problems and improve features.",
                },
                "fr": {
                    "name": "Mesure d'audience et de performance",
                    "description": "Cookies qui mesurent l'utilisation et les performances de "
                    "l'application et du site, pour corriger les problèmes et améliorer les fonctionnalités.",
                },
            },
        },
        {
            "key": "advertising",
            "kind": "cookie",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.3,
            "translations": {
                "en": {
                    "name": "Advertising",
                    "description": "Cookies that choose and measure ads on and off bizTOnet, including "
                    "sponsored content in your feed, based on your profile and activity.",
                },
                "fr": {
                    "name": "Publicité",
                    "description": "Cookies qui choisissent et mesurent les publicités sur bizTOnet et "
                    "ailleurs, y compris le contenu sponsorisé de votre fil, selon votre profil et votre activité.",
                },
            },
        },
        {
            "key": "third_party_sharing",
            "kind": "processing",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.2,
            "translations": {
                "en": {
                    "name": "Sharing with advertising partners",
                    "description": "Letting advertising partners link what they know about you to the "
                    "encrypted identifiers or device identifiers we pass them. Only with your explicit opt-in.",
                },
                "fr": {
                    "name": "Partage avec les partenaires publicitaires",
                    "description": "Permettre aux partenaires publicitaires de relier ce qu'ils savent de "
                    "vous aux identifiants chiffrés ou aux identifiants d'appareil que nous leur "
                    "transmettons. Uniquement avec votre accord explicite.",
                },
            },
        },
        {
            "key": "precise_location",
            "kind": "processing",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "in_banner": True,
            "grant_rate": 0.15,
            "translations": {
                "en": {
                    "name": "Precise location",
                    "description": "Using your precise location or your proximity to others, for example "
                    "to suggest members near you to connect with. Off unless you opt in.",
                },
                "fr": {
                    "name": "Localisation précise",
                    "description": "Utiliser votre position précise ou votre proximité avec d'autres "
                    "membres, par exemple pour vous suggérer des membres proches. Désactivé sauf si vous "
                    "l'activez.",
                },
            },
        },
        {
            "key": "research",
            "kind": "processing",
            "legal_basis": "legitimate_interest",
            "translations": {
                "en": {
                    "name": "Workplace and economic research",
                    "description": "Studying job, skills and industry trends with trusted partners; results "
                    "are published only as aggregated data. You may object.",
                },
                "fr": {
                    "name": "Recherche économique et sur le travail",
                    "description": "Étude des tendances de l'emploi, des compétences et des secteurs avec "
                    "des partenaires de confiance ; les résultats ne sont publiés que sous forme agrégée. "
                    "Vous pouvez vous y opposer.",
                },
            },
        },
        {
            "key": "surveys",
            "kind": "communication",
            "legal_basis": "legitimate_interest",
            "translations": {
                "en": {
                    "name": "Polls and surveys",
                    "description": "Invitations to polls and surveys run by us and others on the platform. "
                    "Answering is never required and you can opt out of the invitations.",
                },
                "fr": {
                    "name": "Sondages et enquêtes",
                    "description": "Invitations aux sondages et enquêtes menés par nous et par d'autres sur "
                    "la plateforme. Répondre n'est jamais obligatoire et vous pouvez refuser les invitations.",
                },
            },
        },
        {
            "key": "marketing_email",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "email",
            "requires_parental_consent": True,
            "grant_rate": 0.45,
            "translations": {
                "en": {
                    "name": "Promotional messages by email",
                    "description": "Product suggestions and promotional communications from us and our "
                    "partners by email. You can change this at any time.",
                },
                "fr": {
                    "name": "Messages promotionnels par e-mail",
                    "description": "Suggestions de produits et communications promotionnelles de notre part "
                    "et de nos partenaires par e-mail. Vous pouvez changer d'avis à tout moment.",
                },
            },
        },
        {
            "key": "marketing_sms",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "sms",
            "requires_parental_consent": True,
            "grant_rate": 0.2,
            "translations": {
                "en": {
                    "name": "Promotional text messages",
                    "description": "Product suggestions and promotional communications from us and our "
                    "partners by text message (SMS). You can change this at any time.",
                },
                "fr": {
                    "name": "Messages promotionnels par SMS",
                    "description": "Suggestions de produits et communications promotionnelles de notre part "
                    "et de nos partenaires par SMS. Vous pouvez changer d'avis à tout moment.",
                },
            },
        },
        {
            "key": "marketing_push",
            "kind": "communication",
            "legal_basis": "consent",
            "channel": "push",
            "requires_parental_consent": True,
            "grant_rate": 0.3,
            "translations": {
                "en": {
                    "name": "Promotional push notifications",
                    "description": "Product suggestions and promotional communications from us and our "
                    "partners by push notification in the app. You can change this at any time.",
                },
                "fr": {
                    "name": "Notifications promotionnelles",
                    "description": "Suggestions de produits et communications promotionnelles de notre part "
                    "et de nos partenaires par notification dans l'application. Vous pouvez changer d'avis "
                    "à tout moment.",
                },
            },
        },
        {
            "key": "ccpa_financial_incentives",
            "kind": "processing",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "grant_rate": 0.2,
            "translations": {
                "en": {
                    "name": "Financial incentive programme (California)",
                    "description": "Taking part in an offer whose price or quality relates to the value of "
                    "your personal information. Requires your prior opt-in; revocable at any time.",
                },
                "fr": {
                    "name": "Programme d'incitation financière (Californie)",
                    "description": "Participer à une offre dont le prix ou la qualité dépend de la valeur "
                    "de vos données personnelles. Nécessite votre accord préalable, révocable à tout moment.",
                },
            },
        },
    ],
    # The policy's own list of third parties is empty; these are the recipients it describes.
    "vendors": [
        {
            "key": "partner_ads",
            "name": "Advertising partners (self-regulatory programmes)",
            "translations": {"fr": {"name": "Partenaires publicitaires (programmes d'autorégulation)"}},
            "country": "",
            "purposes": ["advertising", "third_party_sharing"],
        },
        {
            "key": "research_partners",
            "name": "Trusted research partners",
            "translations": {"fr": {"name": "Partenaires de recherche de confiance"}},
            "country": "",
            "purposes": ["research"],
        },
        {
            "key": "eu_hosting",
            "name": "Hosting and infrastructure providers (Europe)",
            "translations": {"fr": {"name": "Hébergeurs et fournisseurs d'infrastructure (Europe)"}},
            "country": "",
            "purposes": ["essential", "security"],
        },
    ],
    "cookies": [
        {
            "name": "sessionid",
            "domain": DOMAIN,
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Keeps you signed in during a visit.",
        },
        {
            "name": "csrftoken",
            "domain": DOMAIN,
            "lifetime_seconds": YEAR,
            "purpose": "essential",
            "description": "Protects forms against cross-site request forgery.",
        },
        {
            "name": "bn_lang",
            "domain": DOMAIN,
            "lifetime_seconds": YEAR,
            "purpose": "essential",
            "description": "Remembers the language you chose.",
        },
        {
            "name": "bn_sec",
            "domain": DOMAIN,
            "lifetime_seconds": 30 * DAY,
            "purpose": "security",
            "vendor": "eu_hosting",
            "description": "Recognises a trusted device to detect suspicious sign-ins.",
        },
        {
            "name": "bn_aid",
            "domain": DOMAIN,
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "description": "Pseudonymous identifier that counts visits and measures feature use.",
        },
        {
            "name": "bn_sid_*",
            "domain": DOMAIN,
            "lifetime_seconds": 1800,
            "purpose": "analytics",
            "description": "Groups the pages of one visit; expires after 30 minutes of inactivity.",
        },
        {
            "name": "bn_perf",
            "domain": "",
            "storage": "local_storage",
            "lifetime_seconds": None,
            "purpose": "analytics",
            "description": "App performance samples (load times, errors) waiting to be sent.",
        },
        {
            "name": "bn_ads",
            "domain": DOMAIN,
            "lifetime_seconds": 180 * DAY,
            "purpose": "advertising",
            "vendor": "partner_ads",
            "description": "Chooses sponsored content and limits how often you see the same ad.",
        },
        {
            "name": "bn_conv",
            "domain": DOMAIN,
            "storage": "pixel",
            "lifetime_seconds": None,
            "purpose": "advertising",
            "vendor": "partner_ads",
            "description": "Conversion pixel that tells an advertiser that someone who saw its ad visited.",
        },
        {
            "name": "bn_xid",
            "domain": DOMAIN,
            "lifetime_seconds": 90 * DAY,
            "purpose": "third_party_sharing",
            "vendor": "partner_ads",
            "description": "Encrypted identifier that advertising partners may match with their own data.",
        },
    ],
    "policy": {
        "text": (
            "bizTOnet privacy policy (summary of version 1).\n"
            "We provide the service under our contract with you and protect it on the basis of our "
            "legitimate interests. Usage measurement, advertising, sharing with advertising partners, "
            "precise location and promotional messages need your consent, which you can withdraw at "
            "any time. You may opt out of survey invitations and object to research use. Essential "
            "service messages, including security and legal notices, cannot be refused. Members under "
            "16 need a parent's consent. Californian residents may opt out of sale and sharing; we "
            "honour Global Privacy Control. Significant changes are notified before they apply."
        ),
        "change_summary": "First published version.",
    },
    "banner": {
        "en": {
            "title": "Your privacy on bizTOnet",
            "body": "We use essential cookies to run bizTOnet. With your consent we also measure use, "
            "show relevant ads and share identifiers with advertising partners. Refusing is as easy as "
            "accepting, and you can change your mind at any time.",
            "accept_all": "Accept all",
            "reject_all": "Reject all",
            "choose": "Choose",
            "save": "Save my choices",
            "close": "Close",
            "dismiss_notice": "Closing this window keeps only essential cookies.",
            "withdraw_notice": "You can withdraw your consent at any time from “Privacy choices” at the "
            "bottom of every page.",
            "policy_link": "Read our privacy policy",
            "gpc_notice": "Your browser sent a Global Privacy Control signal: advertising and sharing "
            "with partners stay off.",
            "vendors": "Partners",
            "essential_label": "Always on",
        },
        "fr": {
            "title": "Votre vie privée sur bizTOnet",
            "body": "Nous utilisons des cookies essentiels au fonctionnement de bizTOnet. Avec votre "
            "accord, nous mesurons aussi l'audience, affichons des publicités pertinentes et partageons "
            "des identifiants avec des partenaires publicitaires. Refuser est aussi simple qu'accepter, "
            "et vous pouvez changer d'avis à tout moment.",
            "accept_all": "Tout accepter",
            "reject_all": "Tout refuser",
            "choose": "Personnaliser",
            "save": "Enregistrer mes choix",
            "close": "Fermer",
            "dismiss_notice": "Fermer cette fenêtre ne conserve que les cookies essentiels.",
            "withdraw_notice": "Vous pouvez retirer votre consentement à tout moment via « Vos choix de "
            "confidentialité » en bas de chaque page.",
            "policy_link": "Lire notre politique de confidentialité",
            "gpc_notice": "Votre navigateur a envoyé un signal Global Privacy Control : la publicité et "
            "le partage avec les partenaires restent désactivés.",
            "vendors": "Partenaires",
            "essential_label": "Toujours actif",
        },
    },
    # Who visits, for the generated history: jurisdiction weights and the share of members.
    "audience": {
        "jurisdictions": {"FR": 30, "DE": 12, "BE": 8, "NL": 6, "ES": 6, "IT": 6, "GB": 8, "US-CA": 14, "US-NY": 10},
        "french_speaking": {"FR": 0.95, "BE": 0.55},
        "member_share": 0.35,
        "user_prefix": "member",
    },
}
