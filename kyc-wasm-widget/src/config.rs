//! The element's configuration, from its attributes and properties.

/// What the host page configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the kyc API (default: the page's origin).
    pub api_base: String,
    /// The verification's client token (`kyc_ct_…`).
    pub client_token: Option<String>,
    /// A publishable key (`kyc_pk_…`): the upload creates the verification.
    pub publishable_key: Option<String>,
    /// `locale` attribute.
    pub locale: Option<String>,
    /// `labels` attribute: JSON object of text overrides.
    pub labels: Option<String>,
    /// `steps` attribute: `consent,document,liveness` by default; leaving
    /// out `consent` skips the consent screen.
    pub skip_consent: bool,
    /// `device-id` attribute: the camera to use.
    pub device_id: Option<String>,
}

/// The attributes the element observes.
pub const ATTRIBUTES: &[&str] =
    &["api-base", "client-token", "publishable-key", "locale", "labels", "steps", "device-id"];

impl Config {
    /// Sets one attribute (`None`: removed). Unknown names are ignored.
    pub fn set(&mut self, name: &str, value: Option<String>) {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match name {
            "api-base" => {
                self.api_base = value.unwrap_or_default().trim_end_matches('/').to_owned()
            }
            "client-token" => self.client_token = value,
            "publishable-key" => self.publishable_key = value,
            "locale" => self.locale = value,
            "labels" => self.labels = value,
            "steps" => {
                self.skip_consent =
                    value.is_some_and(|v| !v.split(',').any(|s| s.trim() == "consent"));
            }
            "device-id" => self.device_id = value,
            _ => {}
        }
    }

    /// The bearer credential for API calls.
    pub fn credential(&self) -> Option<&str> {
        self.client_token.as_deref().or(self.publishable_key.as_deref())
    }

    /// The URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_configure_the_element() {
        let mut c = Config::default();
        c.set("api-base", Some("https://kyc.example/ ".into()));
        c.set("client-token", Some("kyc_ct_1".into()));
        c.set("steps", Some("document, liveness".into()));
        c.set("bogus", Some("x".into()));
        assert_eq!(c.url("/upload-id"), "https://kyc.example/upload-id");
        assert_eq!(c.credential(), Some("kyc_ct_1"));
        assert!(c.skip_consent);
        c.set("steps", Some("consent,document,liveness".into()));
        assert!(!c.skip_consent);
        c.set("client-token", None);
        c.set("publishable-key", Some("kyc_pk_2".into()));
        assert_eq!(c.credential(), Some("kyc_pk_2"));
        c.set("api-base", Some("".into()));
        assert_eq!(c.url("/verify"), "/verify");
        assert_eq!(ATTRIBUTES.len(), 7);
    }
}
