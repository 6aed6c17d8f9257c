//! TLS for the PostgreSQL connection, with rustls (ring provider): what
//! each `sslmode` verifies, as libpq does it.
//!
//! - `prefer`, `require`: encrypted, the certificate not verified (libpq's
//!   meaning: protection against passive eavesdropping only).
//! - `verify-ca`: the chain must lead to a trusted root; the name is not
//!   checked.
//! - `verify-full`: the chain and the host name (or IP) of the URL.
//!
//! Trusted roots: the system's (rustls-native-certs, i.e. /etc/ssl/certs),
//! plus `sslrootcert=PATH` (or PGSSLROOTCERT), plus libpq's default file
//! `~/.postgresql/root.crt` when it exists: cloud providers (RDS, Azure)
//! sign with their own CA, which the user passes that way.

use super::url::{PgUrl, SslMode};
use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::PathBuf;
use std::sync::Arc;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for the URL's sslmode (not called for
/// `disable`).
pub fn client_config(url: &PgUrl) -> Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Runtime(format!("setting up TLS failed: {e}")))?;
    let config = match url.sslmode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(url)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| {
                    Error::Runtime(format!(
                        "no trusted root certificates for sslmode={} ({e}) for {}; give the server's CA with sslrootcert=PATH",
                        url.sslmode.as_str(),
                        url.place()
                    ))
                })?;
            if url.sslmode == SslMode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            }
        }
    };
    Ok(config)
}

/// The roots trusted for verify-ca/verify-full.
fn roots(url: &PgUrl) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    // Unreadable system certificates are skipped, as other TLS clients do;
    // an empty store is reported by the caller.
    let native = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = store.add_parsable_certificates(native.certs);
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    if let Some(p) = &url.sslrootcert {
        files.push((p.clone(), true));
    }
    if let Some(home) = std::env::var_os("HOME") {
        files.push((PathBuf::from(home).join(".postgresql/root.crt"), false));
    }
    for (path, required) in files {
        if !required && !path.exists() {
            continue;
        }
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
            .and_then(|it| it.collect::<std::result::Result<_, _>>())
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot read the root certificates in {} (sslrootcert, for {}): {e}; give a PEM file of the CA that signed the server's certificate",
                    path.display(),
                    url.place()
                ))
            })?;
        if certs.is_empty() && required {
            return Err(Error::Runtime(format!(
                "{} holds no PEM certificate (sslrootcert, for {}); give a PEM file of the CA that signed the server's certificate",
                path.display(),
                url.place()
            )));
        }
        store.add_parsable_certificates(certs);
    }
    Ok(store)
}

/// Accepts any certificate, still checking that the server holds its key
/// (the handshake signatures): `prefer` and `require`.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full WebPKI check, except that a certificate valid for
/// another name is accepted (webpki checks the name only after the chain).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
