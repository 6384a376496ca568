//! Frames from files: one still image, or every image of a folder in name order,
//! looped — for demos and tests on machines without a camera.
//!
//! A folder behaves like a device that can go away: when it is removed (a USB stick
//! pulled), frames fail; [`FrameSource::reset`] makes the next frame list the folder
//! again, so frames resume once it is back, whatever its files are now called.

use super::{CameraError, FrameSource};
use std::path::{Path, PathBuf};

/// A still image or a folder of frames.
pub struct FileSource {
    path: PathBuf,
    /// Empty after a reset: listed again on the next frame.
    files: Vec<PathBuf>,
    next: usize,
    /// Sleep between frames, like a 30 fps camera (0: as fast as files decode).
    pub frame_interval: std::time::Duration,
}

impl FileSource {
    /// Open a file or a folder (`.jpg`, `.jpeg`, `.png`).
    pub fn open(path: &Path) -> Result<FileSource, CameraError> {
        Ok(FileSource {
            path: path.to_path_buf(),
            files: list(path)?,
            next: 0,
            frame_interval: std::time::Duration::from_millis(33),
        })
    }
}

/// The frames `path` holds: itself, or a folder's images in name order.
fn list(path: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let files = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| CameraError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                    matches!(x.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png")
                })
            })
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(CameraError::Empty(path.display().to_string()));
    }
    Ok(files)
}

impl FrameSource for FileSource {
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
        if !self.frame_interval.is_zero() {
            std::thread::sleep(self.frame_interval);
        }
        if self.files.is_empty() {
            self.files = list(&self.path)?;
            self.next = 0;
        }
        let path = self
            .files
            .get(self.next % self.files.len().max(1))
            .cloned()
            .ok_or_else(|| CameraError::Empty(String::new()))?;
        self.next = self.next.wrapping_add(1);
        image::open(&path)
            .map(|i| i.to_rgb8())
            .map_err(|e| CameraError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })
    }

    fn reset(&mut self) {
        self.files.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_played_in_name_order_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        image::RgbImage::from_pixel(4, 4, image::Rgb([10, 10, 10]))
            .save(dir.path().join("b.png"))
            .unwrap();
        image::RgbImage::from_pixel(2, 2, image::Rgb([200, 0, 0]))
            .save(dir.path().join("a.png"))
            .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let mut s = FileSource::open(dir.path()).unwrap();
        assert_eq!(s.next_frame().unwrap().width(), 2);
        assert_eq!(s.next_frame().unwrap().width(), 4);
        assert_eq!(s.next_frame().unwrap().width(), 2);
    }

    #[test]
    fn an_empty_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        match FileSource::open(dir.path()) {
            Err(CameraError::Empty(p)) => assert!(p.contains(&*dir.path().to_string_lossy())),
            other => panic!("{:?}", other.err()),
        }
    }
}
