//! Native messaging framing: a 4-byte native-endian length, then UTF-8 JSON.
//!
//! Outgoing frames use `native_messaging::host::encode_message`, which enforces the browser's 1 MiB cap. Incoming
//! frames are read here rather than with that crate's tokio helpers: its reader owns the process's stdin on its own
//! thread (nothing to test against), gives up on the first bad frame (we must answer and keep the port), and its
//! `event_loop` awaits one handler at a time (we need many requests in flight).

use std::io;

use native_messaging::host::{encode_message, NmError};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::protocol::Response;
use crate::service::errors;

/// Larger requests are refused; no method needs more than a few KiB.
pub const MAX_INCOMING: usize = 4 * 1024 * 1024;
/// How much of a refused oversized frame is kept to find its `id` (which the extension writes first).
pub const OVERSIZED_HEAD: usize = 4 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// Over `MAX_INCOMING`: its first `OVERSIZED_HEAD` bytes (to answer with its id), the rest read and dropped,
    /// so the stream stays in step.
    TooLarge {
        len: usize,
        head: Vec<u8>,
    },
    /// The input ended inside a frame.
    Truncated,
}

/// Reads one frame; `None` on a clean end of input (the browser closed the port).
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Option<Frame>> {
    let mut prefix = [0u8; 4];
    let mut filled = 0;
    while filled < prefix.len() {
        match reader.read(&mut prefix[filled..]).await? {
            0 if filled == 0 => return Ok(None),
            0 => return Ok(Some(Frame::Truncated)),
            n => filled += n,
        }
    }
    let len = u32::from_ne_bytes(prefix) as usize;
    if len > MAX_INCOMING {
        let mut head = Vec::with_capacity(OVERSIZED_HEAD);
        let kept = (&mut *reader)
            .take(OVERSIZED_HEAD as u64)
            .read_to_end(&mut head)
            .await?;
        let rest = (len - kept) as u64;
        let skipped = tokio::io::copy(&mut reader.take(rest), &mut tokio::io::sink()).await?;
        return Ok(Some(if kept == OVERSIZED_HEAD && skipped == rest {
            Frame::TooLarge { len, head }
        } else {
            Frame::Truncated
        }));
    }
    let mut payload = vec![0; len];
    match reader.read_exact(&mut payload).await {
        Ok(_) => Ok(Some(Frame::Message(payload))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(Some(Frame::Truncated)),
        Err(e) => Err(e),
    }
}

/// Frames an answer. One that would exceed the browser's cap becomes an `internal` error for the same id, so the
/// extension is never left waiting.
pub fn encode_response(response: &Response) -> Vec<u8> {
    match encode_message(response) {
        Ok(frame) => frame,
        Err(error) => {
            let failure = match error {
                NmError::OutgoingTooLarge { len, max } => errors::answer_too_large(len, max),
                other => errors::answer_not_serializable(other),
            };
            let fallback = Response::failure(response.id, failure);
            // A short error answer always fits and always serialises.
            encode_message(&fallback).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{encode_response, read_frame, Frame, MAX_INCOMING, OVERSIZED_HEAD};
    use crate::protocol::Response;

    fn frame(payload: &[u8]) -> Vec<u8> {
        [&(payload.len() as u32).to_ne_bytes()[..], payload].concat()
    }

    #[tokio::test]
    async fn reads_frames_until_clean_end() {
        let input = [frame(b"{}"), frame(b"")].concat();
        let mut reader = &input[..];
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Message(b"{}".to_vec()))
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Message(Vec::new()))
        );
        assert_eq!(read_frame(&mut reader).await.unwrap(), None);
    }

    #[tokio::test]
    async fn truncated_prefix_and_payload() {
        let mut reader = &[1u8, 0][..];
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Truncated)
        );
        let input = [&10u32.to_ne_bytes()[..], b"abc"].concat();
        let mut reader = &input[..];
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Truncated)
        );
    }

    #[tokio::test]
    async fn oversized_frames_are_skipped_and_the_stream_stays_in_step() {
        let mut big = vec![b' '; MAX_INCOMING + 1];
        big[0] = b'{';
        let input = [frame(&big), frame(b"{}")].concat();
        let mut reader = &input[..];
        let mut head = vec![b' '; OVERSIZED_HEAD];
        head[0] = b'{';
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::TooLarge {
                len: MAX_INCOMING + 1,
                head
            })
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Message(b"{}".to_vec()))
        );
        let mut claimed_only = &u32::MAX.to_ne_bytes()[..];
        assert_eq!(
            read_frame(&mut claimed_only).await.unwrap(),
            Some(Frame::Truncated)
        );
    }

    #[test]
    fn answers_over_one_mebibyte_become_internal_errors() {
        let huge = Response::success(9, json!({"blob": "x".repeat(1024 * 1024)}));
        let frame = encode_response(&huge);
        let answer: serde_json::Value = serde_json::from_slice(&frame[4..]).unwrap();
        assert_eq!(answer["id"], 9);
        assert_eq!(answer["error"]["code"], "internal");
        assert_eq!(
            u32::from_ne_bytes(frame[..4].try_into().unwrap()) as usize,
            frame.len() - 4
        );
    }
}
