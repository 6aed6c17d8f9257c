//! The built-in wording: the six legal bases of Art. 6(1) and a vocabulary
//! of common categories, in Swedish and English. A map overrides any of them
//! under `[labels]`; a category outside the vocabulary is shown as written,
//! and `dsr check` warns about it.

/// (code, Swedish, English), in the order of Art. 6(1).
pub const LEGAL_BASES: [(&str, &str, &str); 6] = [
    ("consent", "Samtycke (art. 6.1 a)", "Consent (Art. 6(1)(a))"),
    ("contract", "Avtal (art. 6.1 b)", "Contract (Art. 6(1)(b))"),
    (
        "legal_obligation",
        "Rättslig förpliktelse (art. 6.1 c)",
        "Legal obligation (Art. 6(1)(c))",
    ),
    (
        "vital_interests",
        "Grundläggande intressen (art. 6.1 d)",
        "Vital interests (Art. 6(1)(d))",
    ),
    (
        "public_task",
        "Allmänt intresse eller myndighetsutövning (art. 6.1 e)",
        "Public task (Art. 6(1)(e))",
    ),
    (
        "legitimate_interests",
        "Berättigat intresse (art. 6.1 f)",
        "Legitimate interests (Art. 6(1)(f))",
    ),
];

/// (code, Swedish, English) of the category vocabulary.
pub const CATEGORIES: &[(&str, &str, &str)] = &[
    ("identity", "Identitetsuppgifter", "Identity details"),
    ("identity.name", "Namn", "Name"),
    (
        "identity.national_id",
        "Personnummer eller samordningsnummer",
        "Personal identity number",
    ),
    ("identity.customer_number", "Kundnummer", "Customer number"),
    (
        "identity.employee_number",
        "Anställningsnummer",
        "Employee number",
    ),
    ("identity.birth_date", "Födelsedatum", "Date of birth"),
    ("identity.photo", "Foto", "Photograph"),
    ("identity.username", "Användarnamn", "User name"),
    ("contact", "Kontaktuppgifter", "Contact details"),
    ("contact.email", "E-postadress", "Email address"),
    ("contact.phone", "Telefonnummer", "Phone number"),
    ("contact.address", "Adress", "Address"),
    ("online", "Uppgifter från nätet", "Online data"),
    ("online.ip_address", "IP-adress", "IP address"),
    ("online.login_time", "Tidpunkt för inloggning", "Login time"),
    ("online.device", "Uppgifter om enheten", "Device details"),
    ("online.cookie", "Kakor", "Cookies"),
    ("location", "Platsuppgifter", "Location"),
    ("location.position", "Position", "Position"),
    ("content", "Innehåll", "Content"),
    (
        "content.free_text",
        "Fritext (anteckningar och meddelanden)",
        "Free text (notes and messages)",
    ),
    ("content.message", "Meddelande", "Message"),
    ("financial", "Ekonomiska uppgifter", "Financial details"),
    ("financial.invoice", "Fakturauppgifter", "Invoice details"),
    (
        "financial.payment",
        "Betalningsuppgifter",
        "Payment details",
    ),
    ("financial.salary", "Lön", "Salary"),
    ("financial.bank_account", "Bankkonto", "Bank account"),
    ("usage", "Användning", "Usage"),
    ("usage.energy", "Energianvändning", "Energy use"),
    ("auth", "Inloggningsuppgifter", "Login details"),
    (
        "auth.secret",
        "Lösenord (lagrat krypterat)",
        "Password (stored encrypted)",
    ),
    ("contract", "Avtalsuppgifter", "Contract details"),
    ("contract.dates", "Avtalets datum", "Contract dates"),
    ("contract.meter", "Mätare", "Meter"),
    ("consent", "Samtycke", "Consent"),
    (
        "consent.marketing",
        "Samtycke till marknadsföring",
        "Consent to marketing",
    ),
    (
        "consent.record",
        "Uppgifter om samtycket",
        "Record of consent",
    ),
    ("employment", "Anställning", "Employment"),
    (
        "employment.period",
        "Anställningstid",
        "Period of employment",
    ),
    ("employment.case_handler", "Handläggare", "Case handler"),
    ("support", "Kundtjänst", "Customer service"),
    ("support.case", "Kundtjänstärende", "Customer service case"),
    ("health", "Hälsouppgifter", "Health data"),
];

/// (Swedish, English) of a legal basis code.
pub fn legal_basis(code: &str) -> Option<(&'static str, &'static str)> {
    LEGAL_BASES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, sv, en)| (*sv, *en))
}

/// (Swedish, English) of a category of the vocabulary.
pub fn category(code: &str) -> Option<(&'static str, &'static str)> {
    CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, sv, en)| (*sv, *en))
}
