//! Turning what the core wants to say into a mail: text and HTML parts,
//! a `Message-ID` fixed when it is queued, and the `Date` it was queued.

use std::time::{Duration, SystemTime};

use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::OutgoingMail;
use crate::store::QueuedMail;

impl OutgoingMail {
    /// A mail to `recipient`; `host` names the site in its `Message-ID`.
    pub fn new(recipient: &str, subject: String, text: String, html: String, host: &str) -> Self {
        let domain = host.trim_start_matches('[').trim_end_matches(']');
        Self {
            message_id: format!("<{}@{domain}>", crate::core::hex::random_id()),
            recipient: recipient.to_owned(),
            subject,
            text,
            html,
        }
    }
}

/// The message as it goes on the wire; `Err` when the stored recipient
/// cannot be a mailbox (then no attempt can ever succeed).
pub(crate) fn message(from: &Mailbox, mail: &QueuedMail) -> Result<Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|error| format!("not a deliverable address: {error}"))?;
    let queued_at = SystemTime::UNIX_EPOCH + Duration::from_secs(mail.created_at.max(0) as u64);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.as_str())
        .message_id(Some(mail.message_id.clone()))
        .date(queued_at)
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            mail.body_html.clone(),
        ))
        .map_err(|error| format!("the mail could not be composed: {error}"))
}

/// `text` with HTML's special characters escaped, for the HTML part.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A small HTML mail: paragraphs of escaped text, and one link as a button.
pub(crate) fn html_body(paragraphs_before: &[&str], link: (&str, &str), after: &[&str]) -> String {
    let paragraph = |text: &&str| format!("<p>{}</p>\n", escape_html(text));
    let (label, href) = link;
    format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family:system-ui,sans-serif;line-height:1.5\">\n\
         {}<p><a href=\"{}\" style=\"display:inline-block;padding:.5em 1em;background:#1f4fd1;\
         color:#fff;border-radius:4px;text-decoration:none\">{}</a></p>\n\
         <p style=\"font-size:.9em;color:#555\">{}</p>\n{}</body></html>\n",
        paragraphs_before.iter().map(paragraph).collect::<String>(),
        escape_html(href),
        escape_html(label),
        escape_html(href),
        after.iter().map(paragraph).collect::<String>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
        let body = html_body(&["Hi <b>"], ("Go", "https://x.example/?a=1&b=2"), &[]);
        assert!(body.contains("<p>Hi &lt;b&gt;</p>"));
        assert!(body.contains("href=\"https://x.example/?a=1&amp;b=2\""));
    }

    #[test]
    fn a_queued_mail_becomes_a_multipart_message_with_its_id_and_date() {
        let from: Mailbox = "Tessera <noreply@example.com>".parse().unwrap();
        let queued = QueuedMail {
            id: 1,
            message_id: "<abc@example.com>".into(),
            recipient: "ana@example.com".into(),
            subject: "Reset".into(),
            body_text: "Open https://example.com/x".into(),
            body_html: "<p>Open</p>".into(),
            created_at: 1_800_000_000,
            attempts: 1,
        };
        let raw = String::from_utf8(message(&from, &queued).unwrap().formatted()).unwrap();
        for expected in [
            "Message-ID: <abc@example.com>",
            "Date: Fri, 15 Jan 2027 08:00:00",
            "To: ana@example.com",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "Open https://example.com/x",
        ] {
            assert!(raw.contains(expected), "{expected:?} in {raw}");
        }
        let bad = QueuedMail {
            recipient: "nobody".into(),
            ..queued
        };
        assert!(message(&from, &bad).is_err());
    }
}
