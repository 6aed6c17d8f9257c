//! The PostgreSQL store (issue 11): URL and password resolution,
//! connecting with TLS, failures in the user's words, reading the tenant
//! schema from the catalogs, converting values, the tenant's sweep lock as
//! an advisory lock, and the backend behind the store interface
//! (`backend`). See the README, "PostgreSQL".

pub mod backend;
pub mod connect;
pub mod errors;
pub mod introspect;
#[cfg(test)]
mod introspect_tests;
pub mod lock;
#[doc(hidden)]
pub mod testing;
mod tls;
pub mod types;
pub mod url;
pub mod value;
#[cfg(test)]
mod value_tests;

pub use connect::{connect, PgConn};
pub use url::{is_postgres_url, PgUrl, SslMode};
