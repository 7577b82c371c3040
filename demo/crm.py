"""Bitrix24, a CRM and collaboration suite: one controller, ten country domains.

Built from its privacy policy: session and persistent cookies and web beacons, newsletters
and offers only with consent, and a choice to opt out of having personal data shared with
selected companies (here a purpose with vendors, each of which can be refused on its own).
The policy warns that inconsistent preferences may not be honoured; the platform does better:
the latest choice wins, on every domain and device where the person is known.

Over 400 lines on purpose: the demo is data (ten domains, their languages' banner texts) read top
to bottom like the policy it follows.
"""

DAY = 86400
THIRTEEN_MONTHS = 395 * DAY
DOMAINS = ["eu", "com", "de", "pl", "com.tr", "cn", "com.br", "es", "fr", "in"]

SITE = {
    "key": "crm",
    "name": "Bitrix24",
    "fields": {
        # The languages of its country domains (.de, .pl, .com.tr, .com.br, .es, .fr; English elsewhere).
        "languages": ["en", "de", "es", "fr", "pl", "pt", "tr"],
        "default_language": "en",
        "regime": "opt_in",
        "regime_by_country": {"US-CA": "opt_out"},
        "consent_lifetime_days": 180,
        "notice_period_days": 30,
        "ip_handling": "truncated",
        "age_of_digital_consent": 16,
        # "We will respond to your requests within all applicable timeframes": one month (GDPR).
        "dpo_email": "privacy@crm.example.com",
        "consent_mode": {
            "essential": ["functionality_storage", "security_storage"],
            "analytics": ["analytics_storage"],
            "advertising": ["ad_storage", "ad_user_data", "ad_personalization"],
        },
    },
    # Reserved names stand for the ten country domains (www.bitrix24.de -> www.crm-de.test).
    "origins": [f"https://www.crm-{tld.replace('.', '-')}.test" for tld in DOMAINS],
    "demo_path": "/demo/crm/",
    "purposes": [
        {
            "key": "essential",
            "kind": "cookie",
            "legal_basis": "contract",
            "essential": True,
            "translations": {
                "en": {
                    "name": "Essential",
                    "description": "Session cookies that keep what you enter on several pages together, "
                    "sign you in and make online orders and the services work.",
                },
                "fr": {
                    "name": "Essentiels",
                    "description": "Cookies de session qui conservent ce que vous saisissez sur plusieurs "
                    "pages, vous connectent et font fonctionner les commandes en ligne et les services.",
                },
            },
        },
        {
            "key": "legal_notices",
            "kind": "communication",
            "legal_basis": "legal_obligation",
            "essential": True,
            "translations": {
                "en": {
                    "name": "Legal contact",
                    "description": "Contacting you when the law requires it, for example in a legal "
                    "proceeding or about licensing and warranty matters. Never used for marketing.",
                },
                "fr": {
                    "name": "Contact légal",
                    "description": "Vous contacter lorsque la loi l'exige, par exemple dans une procédure "
                    "judiciaire ou pour des questions de licence et de garantie. Jamais à des fins marketing.",
                },
            },
        },
        {
            "key": "analytics",
            "kind": "cookie",
            "legal_basis": "consent",
            "in_banner": True,
            "grant_rate": 0.65,
            "translations": {
                "en": {
                    "name": "Usage measurement",
                    "description": "Cookies and web beacons that measure the use of our pages, which pages "
                    "visitors came from and how they browse, to make the website more useful.",
                },
                "fr": {
                    "name": "Mesure d'utilisation",
                    "description": "Cookies et balises web qui mesurent l'utilisation de nos pages, la page "
                    "d'où viennent les visiteurs et leur navigation, pour rendre le site plus utile.",
                },
            },
        },
        {
            "key": "advertising",
            "kind": "cookie",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "in_banner": True,
            "grant_rate": 0.3,
            "translations": {
                "en": {
                    "name": "Advertising measurement",
                    "description": "Cookies of the providers that serve our ads, set when you click an ad, "
                    "that count visits coming from advertisements.",
                },
                "fr": {
                    "name": "Mesure publicitaire",
                    "description": "Cookies des prestataires qui diffusent nos publicités, déposés quand vous "
                    "cliquez sur une annonce, pour compter les visites venant des publicités.",
                },
            },
        },
        {
            "key": "third_party_sharing",
            "kind": "processing",
            "legal_basis": "consent",
            "gpc_sensitive": True,
            "in_banner": True,
            "grant_rate": 0.35,
            "translations": {
                "en": {
                    "name": "Sharing with selected companies",
                    "description": "Sharing your contact details with selected companies we have a strategic "
                    "marketing relationship with. You can refuse each company separately.",
                },
                "fr": {
                    "name": "Partage avec des sociétés sélectionnées",
                    "description": "Partager vos coordonnées avec des sociétés sélectionnées avec lesquelles "
                    "nous avons un partenariat marketing. Vous pouvez refuser chaque société séparément.",
                },
            },
        },
        {
            "key": "marketing_email",
            "kind": "communication",
            "legal_basis": "consent",
            "requires_parental_consent": True,
            "grant_rate": 0.4,
            "translations": {
                "en": {
                    "name": "Newsletter and offers",
                    "description": "Our newsletter about new products, upgrades, patches and special offers, "
                    "including promotions of selected partners. Every email lets you opt out.",
                },
                "fr": {
                    "name": "Newsletter et offres",
                    "description": "Notre newsletter sur les nouveaux produits, mises à jour, correctifs et "
                    "offres spéciales, y compris les promotions de partenaires sélectionnés. Chaque e-mail "
                    "permet de se désinscrire.",
                },
            },
        },
    ],
    "vendors": [
        {
            "key": "strategic_partners",
            "name": "Strategic marketing partners",
            "translations": {"fr": {"name": "Partenaires marketing stratégiques"}},
            "country": "",
            "purposes": ["third_party_sharing"],
        },
        {
            "key": "marketing_companies",
            "name": "Marketing companies (contractors)",
            "translations": {"fr": {"name": "Sociétés de marketing (sous-traitants)"}},
            "country": "",
            "purposes": ["third_party_sharing", "advertising"],
        },
        {
            "key": "ad_servers",
            "name": "Ad serving and hosting providers",
            "translations": {"fr": {"name": "Prestataires de diffusion publicitaire et d'hébergement"}},
            "country": "",
            "purposes": ["advertising"],
        },
        {
            "key": "email_provider",
            "name": "Email service provider",
            "translations": {"fr": {"name": "Prestataire d'envoi d'e-mails"}},
            "country": "",
            "purposes": ["marketing_email"],
        },
        {
            "key": "payment_processors",
            "name": "Payment and order processing merchants",
            "translations": {"fr": {"name": "Prestataires de paiement et de traitement des commandes"}},
            "country": "",
            "purposes": ["essential"],
        },
    ],
    "cookies": [
        {
            "name": "b24_session",
            "domain": "",
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Session cookie that signs you in on whichever country domain you use.",
        },
        {
            "name": "b24_form",
            "domain": "",
            "lifetime_seconds": None,
            "purpose": "essential",
            "description": "Keeps what you enter on multi-page forms together.",
        },
        {
            "name": "b24_order",
            "domain": "",
            "lifetime_seconds": None,
            "purpose": "essential",
            "vendor": "payment_processors",
            "description": "Carries an online order through checkout.",
        },
        {
            "name": "b24_stats",
            "domain": "",
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "analytics",
            "description": "Persistent cookie that measures the use of pages.",
        },
        {
            "name": "b24_ref",
            "domain": "",
            "lifetime_seconds": 30 * DAY,
            "purpose": "analytics",
            "description": "Records which page a visitor came from.",
        },
        {
            "name": "b24_beacon",
            "domain": "",
            "storage": "pixel",
            "lifetime_seconds": None,
            "purpose": "analytics",
            "description": "Web beacon that measures what a visitor does on the page that contains it.",
        },
        {
            "name": "b24_adclick",
            "domain": "",
            "lifetime_seconds": THIRTEEN_MONTHS,
            "purpose": "advertising",
            "vendor": "ad_servers",
            "description": "Set when you click one of our ads; counts visits coming from advertisements.",
        },
    ],
    "policy": {
        "text": (
            "Bitrix24 privacy policy (summary of version 1).\n"
            "One policy covers all our country websites. Session cookies run the site; usage measurement, "
            "web beacons and advertising cookies need your consent. Newsletters and offers are sent only "
            "with your consent and every email lets you opt out. You can refuse sharing with selected "
            "companies, and refuse each company separately. Your latest choice applies on every domain. "
            "Users under 16 need the consent of a parent."
        ),
        "change_summary": "First published version.",
    },
    "banner": {
        "en": {
            "title": "Cookies and sharing on Bitrix24",
            "body": "Session cookies keep the site working. With your consent we measure how our pages are "
            "used, count visits from our ads and share your contact details with selected companies. "
            "Your choice applies on all our country websites.",
            "accept_all": "Accept all",
            "reject_all": "Reject all",
            "choose": "Choose",
            "save": "Save my choices",
            "close": "Close",
            "dismiss_notice": "Closing this banner keeps only essential cookies.",
            "withdraw_notice": "You can change or withdraw your choice at any time from “Cookie settings”.",
            "policy_link": "Privacy policy",
            "gpc_notice": "Your browser sent a Global Privacy Control signal: advertising and sharing stay off.",
            "vendors": "Companies",
            "essential_label": "Always on",
        },
        "fr": {
            "title": "Cookies et partage sur Bitrix24",
            "body": "Les cookies de session font fonctionner le site. Avec votre accord, nous mesurons "
            "l'utilisation de nos pages, comptons les visites venant de nos publicités et partageons vos "
            "coordonnées avec des sociétés sélectionnées. Votre choix vaut sur tous nos sites nationaux.",
            "accept_all": "Tout accepter",
            "reject_all": "Tout refuser",
            "choose": "Personnaliser",
            "save": "Enregistrer mes choix",
            "close": "Fermer",
            "dismiss_notice": "Fermer ce bandeau ne conserve que les cookies essentiels.",
            "withdraw_notice": "Vous pouvez modifier ou retirer votre choix à tout moment via « Paramètres "
            "des cookies ».",
            "policy_link": "Politique de confidentialité",
            "gpc_notice": "Votre navigateur a envoyé un signal Global Privacy Control : la publicité et le "
            "partage restent désactivés.",
            "vendors": "Sociétés",
            "essential_label": "Toujours actif",
        },
    },
    "audience": {
        "jurisdictions": {"DE": 18, "PL": 14, "FR": 12, "ES": 10, "GB": 10, "US-CA": 10, "US-TX": 8, "BR": 8, "IN": 10},
        "french_speaking": {"FR": 0.95},
        "member_share": 0.5,
        "user_prefix": "account",
    },
}


# The banner and the purpose names in the other languages of the country domains (descriptions
# fall back to English).
BANNER_TEXTS = {
    "de": {
        "title": "Cookies und Weitergabe bei Bitrix24",
        "body": "Sitzungscookies halten die Website in Betrieb. Mit Ihrer Einwilligung messen wir die Nutzung "
        "unserer Seiten, zählen Besuche über unsere Anzeigen und geben Ihre Kontaktdaten an ausgewählte "
        "Unternehmen weiter. Ihre Wahl gilt auf allen unseren Länderseiten.",
        "accept_all": "Alle akzeptieren",
        "reject_all": "Alle ablehnen",
        "choose": "Auswählen",
        "save": "Auswahl speichern",
        "close": "Schließen",
        "dismiss_notice": "Wenn Sie dieses Banner schließen, bleiben nur notwendige Cookies aktiv.",
        "policy_link": "Datenschutzerklärung",
        "vendors": "Unternehmen",
        "essential_label": "Immer aktiv",
    },
    "es": {
        "title": "Cookies y cesión de datos en Bitrix24",
        "body": "Las cookies de sesión hacen funcionar el sitio. Con su consentimiento medimos el uso de "
        "nuestras páginas, contamos las visitas que llegan desde nuestros anuncios y compartimos sus datos "
        "de contacto con empresas seleccionadas. Su elección vale en todos nuestros sitios nacionales.",
        "accept_all": "Aceptar todo",
        "reject_all": "Rechazar todo",
        "choose": "Elegir",
        "save": "Guardar mis opciones",
        "close": "Cerrar",
        "dismiss_notice": "Cerrar este aviso mantiene solo las cookies esenciales.",
        "policy_link": "Política de privacidad",
        "vendors": "Empresas",
        "essential_label": "Siempre activas",
    },
    "pl": {
        "title": "Pliki cookie i udostępnianie danych w Bitrix24",
        "body": "Sesyjne pliki cookie zapewniają działanie strony. Za Twoją zgodą mierzymy korzystanie z naszych "
        "stron, liczymy wizyty z naszych reklam i udostępniamy Twoje dane kontaktowe wybranym firmom. "
        "Twój wybór obowiązuje we wszystkich naszych serwisach krajowych.",
        "accept_all": "Akceptuj wszystkie",
        "reject_all": "Odrzuć wszystkie",
        "choose": "Wybierz",
        "save": "Zapisz moje wybory",
        "close": "Zamknij",
        "dismiss_notice": "Zamknięcie tego banera pozostawia tylko niezbędne pliki cookie.",
        "policy_link": "Polityka prywatności",
        "vendors": "Firmy",
        "essential_label": "Zawsze włączone",
    },
    "pt": {
        "title": "Cookies e partilha na Bitrix24",
        "body": "Os cookies de sessão mantêm o site a funcionar. Com o seu consentimento medimos a utilização "
        "das nossas páginas, contamos as visitas vindas dos nossos anúncios e partilhamos os seus contactos "
        "com empresas selecionadas. A sua escolha vale em todos os nossos sites nacionais.",
        "accept_all": "Aceitar tudo",
        "reject_all": "Recusar tudo",
        "choose": "Escolher",
        "save": "Guardar as minhas escolhas",
        "close": "Fechar",
        "dismiss_notice": "Fechar este aviso mantém apenas os cookies essenciais.",
        "policy_link": "Política de privacidade",
        "vendors": "Empresas",
        "essential_label": "Sempre ativos",
    },
    "tr": {
        "title": "Bitrix24'te çerezler ve paylaşım",
        "body": "Oturum çerezleri sitenin çalışmasını sağlar. İzninizle sayfalarımızın kullanımını ölçer, "
        "reklamlarımızdan gelen ziyaretleri sayar ve iletişim bilgilerinizi seçilmiş şirketlerle paylaşırız. "
        "Seçiminiz tüm ülke sitelerimizde geçerlidir.",
        "accept_all": "Tümünü kabul et",
        "reject_all": "Tümünü reddet",
        "choose": "Seç",
        "save": "Seçimlerimi kaydet",
        "close": "Kapat",
        "dismiss_notice": "Bu bildirimi kapatmak yalnızca zorunlu çerezleri bırakır.",
        "policy_link": "Gizlilik politikası",
        "vendors": "Şirketler",
        "essential_label": "Her zaman açık",
    },
}
PURPOSE_NAMES = {
    "essential": {"de": "Notwendig", "es": "Esenciales", "pl": "Niezbędne", "pt": "Essenciais", "tr": "Zorunlu"},
    "analytics": {
        "de": "Nutzungsmessung",
        "es": "Medición de uso",
        "pl": "Pomiar korzystania",
        "pt": "Medição de utilização",
        "tr": "Kullanım ölçümü",
    },
    "advertising": {
        "de": "Werbemessung",
        "es": "Medición publicitaria",
        "pl": "Pomiar reklam",
        "pt": "Medição publicitária",
        "tr": "Reklam ölçümü",
    },
    "third_party_sharing": {
        "de": "Weitergabe an ausgewählte Unternehmen",
        "es": "Cesión a empresas seleccionadas",
        "pl": "Udostępnianie wybranym firmom",
        "pt": "Partilha com empresas selecionadas",
        "tr": "Seçilmiş şirketlerle paylaşım",
    },
}
SITE["banner"].update(BANNER_TEXTS)
for _purpose in SITE["purposes"]:
    for _code, _name in PURPOSE_NAMES.get(_purpose["key"], {}).items():
        _purpose["translations"][_code] = {"name": _name}
