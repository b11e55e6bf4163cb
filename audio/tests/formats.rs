//! Real files, made the way the hotline receives them — speech from
//! espeak-ng, converted with sox, Ogg/Opus encoded with opusenc like Element's
//! recorder, MP3 with lame — decoded by us and compared with what sox or
//! opusdec decode from the same file. Then the same files, broken.
//!
//! Needs espeak-ng, sox (with libsox-fmt-mp3), opus-tools and lame
//! (scripts/test.sh installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use akutlinje_audio::{decode, AudioError, Format, Limits};

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    /// A Danish sentence from espeak-ng (22.05 kHz mono WAV).
    fn new() -> Files {
        let dir = tempfile::tempdir().expect("temp dir");
        run(Command::new("espeak-ng").args(["-v", "da", "-s", "150", "-w"]).arg(dir.path().join("speech.wav")).arg(
            "Beboeren på stue tolv har feber, otteogtredive komma ni, og trækker vejret hurtigt.",
        ));
        Files { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn sox(&self, to: &str, args: &[&str]) -> PathBuf {
        let out = self.path(to);
        run(Command::new("sox")
            .arg(self.path("speech.wav"))
            .args(args)
            .arg(&out));
        out
    }
    /// What sox decodes from `file` (type `kind`), as 16 kHz mono f32.
    fn reference(&self, file: &Path, kind: Option<&str>) -> Vec<f32> {
        let raw = self.path("reference.f32");
        let mut cmd = Command::new("sox");
        if let Some(k) = kind {
            cmd.args(["-t", k, "-r", "8000", "-c", "1"]);
        }
        run(cmd
            .arg(file)
            .args(["-t", "f32", "-r", "16000", "-c", "1"])
            .arg(&raw));
        floats(&std::fs::read(raw).expect("reference"))
    }
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The best normalised cross-correlation of `a` and `b` over lags of up to
/// ±`max_lag` samples (decoders differ in delay by a few samples).
fn similarity(a: &[f32], b: &[f32], max_lag: isize) -> f64 {
    let mut best = f64::MIN;
    for lag in -max_lag..=max_lag {
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &x) in a.iter().enumerate() {
            let j = i as isize + lag;
            if j < 0 || j as usize >= b.len() {
                continue;
            }
            let y = b[j as usize];
            ab += f64::from(x) * f64::from(y);
            aa += f64::from(x) * f64::from(x);
            bb += f64::from(y) * f64::from(y);
        }
        best = best.max(ab / (aa.sqrt() * bb.sqrt()).max(1e-12));
    }
    best
}

fn check_like_reference(name: &str, ours: &[f32], reference: &[f32], min_similarity: f64) {
    let diff = (ours.len() as f64 - reference.len() as f64).abs() / 16_000.0;
    assert!(
        diff < 0.08,
        "{name}: we decoded {} samples, the reference {} ({diff:.3} s apart)",
        ours.len(),
        reference.len()
    );
    let sim = similarity(ours, reference, 400);
    assert!(sim > min_similarity, "{name}: similarity {sim:.4}");
    eprintln!(
        "{name}: {} samples, similarity to the reference {sim:.4}",
        ours.len()
    );
}

#[test]
fn wav_at_every_rate_and_stereo_decodes_like_sox() {
    let f = Files::new();
    let limits = Limits::default();
    for (name, args) in [
        ("espeak 22.05 kHz", vec![]),
        ("8 kHz", vec!["-r", "8000"]),
        ("16 kHz 24-bit", vec!["-r", "16000", "-b", "24"]),
        ("44.1 kHz stereo", vec!["-r", "44100", "-c", "2"]),
        (
            "48 kHz float",
            vec!["-r", "48000", "-e", "floating-point", "-b", "32"],
        ),
        (
            "8 kHz µ-law WAV (Twilio)",
            vec!["-r", "8000", "-e", "u-law"],
        ),
    ] {
        let file = f.sox(&format!("{}.wav", name.replace([' ', '/'], "_")), &args);
        let clip = decode(&std::fs::read(&file).expect("read"), "audio/x-wav", &limits)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(clip.format, Format::Wav);
        check_like_reference(name, &clip.samples, &f.reference(&file, None), 0.97);
    }
}

#[test]
fn raw_telephone_audio_decodes_like_sox() {
    let f = Files::new();
    for (kind, mime, format) in [
        ("ul", "audio/PCMU", Format::MuLaw),
        ("al", "audio/PCMA", Format::ALaw),
    ] {
        let file = f.sox(&format!("speech.{kind}"), &["-r", "8000", "-c", "1"]);
        let clip = decode(
            &std::fs::read(&file).expect("read"),
            mime,
            &Limits::default(),
        )
        .expect(kind);
        assert_eq!((clip.format, clip.source_rate), (format, 8000));
        check_like_reference(kind, &clip.samples, &f.reference(&file, Some(kind)), 0.97);
    }
}

#[test]
fn mp3_decodes_like_sox() {
    let f = Files::new();
    let file = f.path("speech.mp3");
    run(Command::new("lame")
        .args(["--quiet", "-b", "32"])
        .arg(f.path("speech.wav"))
        .arg(&file));
    let clip = decode(
        &std::fs::read(&file).expect("read"),
        "audio/mpeg",
        &Limits::default(),
    )
    .expect("mp3");
    assert_eq!(clip.format, Format::Mp3);
    // MP3 decoders disagree on the encoder delay at the start, so the
    // lengths may differ by a frame; the sound must be the same.
    check_like_reference("mp3", &clip.samples, &f.reference(&file, None), 0.9);
}

/// Element's recorder: 48 kHz mono Opus, VoIP application, 24 kbit/s,
/// 20 ms frames, in Ogg.
fn element_voice_message(f: &Files) -> PathBuf {
    let pcm48 = f.sox("speech48.wav", &["-r", "48000", "-c", "1"]);
    let ogg = f.path("voice-message.ogg");
    run(Command::new("opusenc")
        .args([
            "--quiet",
            "--bitrate",
            "24",
            "--framesize",
            "20",
            "--speech",
        ])
        .arg(pcm48)
        .arg(&ogg));
    ogg
}

#[test]
fn an_element_voice_message_decodes_like_opusdec() {
    let f = Files::new();
    let ogg = element_voice_message(&f);
    let clip = decode(
        &std::fs::read(&ogg).expect("read"),
        "audio/ogg",
        &Limits::default(),
    )
    .expect("opus");
    assert_eq!(
        (clip.format, clip.source_rate, clip.source_channels),
        (Format::OggOpus, 48_000, 1)
    );
    let dec = f.path("opusdec.wav");
    run(Command::new("opusdec")
        .args(["--quiet", "--rate", "48000"])
        .arg(&ogg)
        .arg(&dec));
    // opusdec trims the pre-skip and the end padding exactly as we must.
    check_like_reference("ogg/opus", &clip.samples, &f.reference(&dec, None), 0.99);
}

#[test]
fn long_recordings_are_refused_and_other_codecs_named() {
    let f = Files::new();
    let ogg = element_voice_message(&f);
    let short = Limits {
        max_duration: Duration::from_secs(2),
        ..Limits::default()
    };
    assert_eq!(
        decode(&std::fs::read(&ogg).expect("read"), "audio/ogg", &short).map(|c| c.format),
        Err(AudioError::TooLong { max_seconds: 2 })
    );
    let vorbis = f.sox("speech.ogg", &[]);
    let err = decode(
        &std::fs::read(&vorbis).expect("read"),
        "audio/ogg",
        &Limits::default(),
    )
    .map(|c| c.format);
    assert!(
        matches!(&err, Err(AudioError::UnsupportedCodec { detail, .. }) if detail == "Vorbis"),
        "{err:?}"
    );
    let flac = f.sox("speech.flac", &[]);
    let err = decode(
        &std::fs::read(&flac).expect("read"),
        "audio/flac",
        &Limits::default(),
    )
    .map(|c| c.format);
    assert_eq!(
        err,
        Err(AudioError::Unsupported {
            mime: "audio/flac".into()
        })
    );
}

#[test]
fn broken_files_are_refused_with_a_reason_and_nothing_panics() {
    let f = Files::new();
    let ogg = std::fs::read(element_voice_message(&f)).expect("ogg");
    let wav = std::fs::read(f.sox("t.wav", &["-r", "8000"])).expect("wav");
    let mp3_path = f.path("t.mp3");
    run(Command::new("lame")
        .args(["--quiet", "-b", "32"])
        .arg(f.path("speech.wav"))
        .arg(&mp3_path));
    let mp3 = std::fs::read(mp3_path).expect("mp3");
    let l = Limits::default();
    for (name, data, mime) in [
        ("ogg", &ogg, "audio/ogg"),
        ("wav", &wav, "audio/wav"),
        ("mp3", &mp3, "audio/mpeg"),
    ] {
        // Only the header.
        let head = decode(&data[..60.min(data.len())], mime, &l);
        assert!(head.is_err(), "{name} header only: {head:?}");
        // Cut in the middle: what was there is kept or the file is refused.
        let _ = decode(&data[..data.len() / 2], mime, &l);
        // Every 97th byte flipped, headers included.
        let mut flipped = data.clone();
        for b in flipped.iter_mut().step_by(97) {
            *b ^= 0x5A;
        }
        let _ = decode(&flipped, mime, &l);
        // Garbage after a valid magic number.
        let mut garbage = data[..12].to_vec();
        garbage.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        match decode(&garbage, mime, &l) {
            Err(
                AudioError::Broken { .. }
                | AudioError::Empty
                | AudioError::UnsupportedCodec { .. }
                | AudioError::TooShort { .. },
            ) => {}
            other => panic!("{name} with garbage: {:?}", other.map(|c| c.format)),
        }
    }
    // A WAV header that claims 65535 channels and an absurd rate.
    let mut liar = wav.clone();
    liar[22] = 0xFF;
    liar[23] = 0xFF;
    liar[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(decode(&liar, "audio/wav", &l).is_err());
}
