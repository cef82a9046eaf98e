//! The request loop: one reader, one task per request, one writer.
//!
//! The reader parses envelopes and hands each request to its own task (the work itself runs on the blocking
//! pool), so a slow Argon2 unlock does not hold up a `list`. Answers go through a channel to a single writer, which
//! keeps frames whole. When stdin ends, requests already read are finished and answered before returning, so no
//! counter increment or new credential is cut off halfway.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use zeroize::Zeroizing;

use super::framing::{encode_response, read_frame, Frame, MAX_INCOMING};
use crate::protocol::{parse_request, readable_id, Request, Response};
use crate::service::errors;

/// Answers one request; blocking work is fine, it runs on the blocking pool.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Bounds the work one port can queue; the reader waits when this many requests are unanswered.
const MAX_IN_FLIGHT: usize = 32;

pub async fn serve<R, W>(mut reader: R, writer: W, handler: Handler) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (answers, queue) = mpsc::channel::<Response>(MAX_IN_FLIGHT);
    let writer_task = tokio::spawn(write_answers(writer, queue));
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut in_flight = JoinSet::new();
    let mut read_error = None;

    loop {
        let frame = match read_frame(&mut reader).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(error) => {
                read_error = Some(error);
                break;
            }
        };
        // Wiped once parsed: a request's bytes may hold a PIN.
        let bytes = match frame {
            Frame::Message(bytes) => Zeroizing::new(bytes),
            Frame::TooLarge { len, head } => {
                let failure = errors::message_too_large(len, MAX_INCOMING);
                let _ = answers
                    .send(Response::failure(readable_id(&head), failure))
                    .await;
                continue;
            }
            Frame::Truncated => {
                let failure = errors::truncated_message();
                let _ = answers.send(Response::failure(None, failure)).await;
                break;
            }
        };
        let request = match parse_request(&bytes) {
            Ok(request) => request,
            Err(answer) => {
                let _ = answers.send(*answer).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let handler = handler.clone();
        let answers = answers.clone();
        in_flight.spawn(async move {
            let id = request.id;
            crate::log::debug!("request {id}: {}", request.method);
            let response = tokio::task::spawn_blocking(move || handler(request))
                .await
                .unwrap_or_else(|_| Response::failure(Some(id), errors::handler_failed()));
            drop(permit);
            let _ = answers.send(response).await;
        });
        while in_flight.try_join_next().is_some() {}
    }

    while in_flight.join_next().await.is_some() {}
    drop(answers);
    let written = writer_task
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
    match read_error {
        Some(error) => Err(error),
        None => written,
    }
}

async fn write_answers<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut queue: mpsc::Receiver<Response>,
) -> io::Result<()> {
    while let Some(response) = queue.recv().await {
        let frame = encode_response(&response);
        writer.write_all(&frame).await?;
        writer.flush().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use serde_json::{json, Value};
    use tokio::io::AsyncReadExt;

    use super::{serve, Handler, MAX_INCOMING};
    use crate::protocol::{Request, Response};

    fn frame(value: &[u8]) -> Vec<u8> {
        [&(value.len() as u32).to_ne_bytes()[..], value].concat()
    }

    async fn run(input: Vec<u8>, handler: Handler) -> Vec<Value> {
        let (writer, mut output) = tokio::io::duplex(1 << 20);
        serve(&input[..], writer, handler).await.unwrap();
        let mut bytes = Vec::new();
        output.read_to_end(&mut bytes).await.unwrap();
        let mut answers = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
            answers.push(serde_json::from_slice(&rest[4..4 + len]).unwrap());
            rest = &rest[4 + len..];
        }
        answers
    }

    fn echo() -> Handler {
        Arc::new(|request: Request| {
            Response::success(request.id, json!({"method": request.method}))
        })
    }

    #[tokio::test]
    async fn garbage_gets_typed_answers_and_the_port_stays_open() {
        let input = [
            frame(b"not json"),
            frame(b"\xff\xfe\x00"),
            frame(b"{\"id\":\"one\",\"method\":\"hello\"}"),
            frame(b"{\"id\":2,\"method\":[]}"),
            frame(b"{\"id\":3,\"method\":\"hello\"}"),
            vec![7, 0],
        ]
        .concat();
        let answers = run(input, echo()).await;
        assert_eq!(answers.len(), 6);
        // Answers come in any order; envelope errors without an id, then the rest by id.
        let without_id: Vec<&Value> = answers.iter().filter(|a| a["id"].is_null()).collect();
        assert_eq!(
            without_id.len(),
            4,
            "three garbage frames and the truncated tail"
        );
        assert!(without_id
            .iter()
            .all(|a| a["error"]["code"] == "bad_request"));
        let by_id = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap();
        assert_eq!(by_id(2)["error"]["code"], "bad_request");
        assert_eq!(*by_id(3), json!({"id": 3, "result": {"method": "hello"}}));
    }

    #[tokio::test]
    async fn oversized_and_broken_frames_are_answered_with_their_readable_id() {
        let mut oversized = br#"{"id":7,"method":"list","params":{"credential_ids":["#.to_vec();
        oversized.resize(MAX_INCOMING + 10, b'A');
        let input = [
            frame(&oversized),
            frame(br#"{"id":8,"method":"sign","params":{"pin":"#),
            frame(br#"{"id":9,"method":"hello"}"#),
        ]
        .concat();
        let answers = run(input, echo()).await;
        assert_eq!(answers.len(), 3);
        let by_id = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap();
        assert_eq!(by_id(7)["error"]["code"], "bad_request");
        let message = by_id(7)["error"]["message"].as_str().unwrap();
        assert!(message.contains(&MAX_INCOMING.to_string()), "{message}");
        assert_eq!(by_id(8)["error"]["code"], "bad_request");
        assert_eq!(*by_id(9), json!({"id": 9, "result": {"method": "hello"}}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_run_concurrently_and_are_answered_by_id() {
        // Both requests must be running at the same time for either to get past the barrier.
        let barrier = Arc::new(Barrier::new(2));
        let handler: Handler = Arc::new(move |request: Request| {
            barrier.wait();
            Response::success(request.id, json!({}))
        });
        let input = [
            frame(b"{\"id\":1,\"method\":\"a\"}"),
            frame(b"{\"id\":2,\"method\":\"b\"}"),
        ]
        .concat();
        let mut ids: Vec<u64> = run(input, handler)
            .await
            .iter()
            .map(|a| a["id"].as_u64().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, [1, 2]);
    }

    #[tokio::test]
    async fn a_panicking_handler_still_answers() {
        let handler: Handler = Arc::new(|_request: Request| panic!("boom"));
        let answers = run(frame(b"{\"id\":5,\"method\":\"x\"}"), handler).await;
        assert_eq!(answers[0]["id"], 5);
        assert_eq!(answers[0]["error"]["code"], "internal");
    }
}
