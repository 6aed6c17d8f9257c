//! Stub until the demo generator lands.
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
pub struct DemoSummary {
    pub store: PathBuf,
    pub map: PathBuf,
    pub subjects: u64,
    pub rows: Vec<(String, u64)>,
}
pub fn generate(
    _dir: &Path,
    _subjects: u64,
    _seed: u64,
    _today: jiff::civil::Date,
    _force: bool,
) -> Result<DemoSummary> {
    Err(Error::Runtime("demo not built yet".into()))
}
