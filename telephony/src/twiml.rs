//! TwiML documents: a small builder that escapes every text and attribute.
//!
//! Only verbs, nouns and attributes Twilio documents are built here (the
//! tests check every answer against that list); each constructor takes the
//! values that verb needs.

use std::fmt::Write as _;

/// One TwiML element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    text: Option<String>,
    children: Vec<Node>,
}

impl Node {
    fn new(name: &'static str) -> Node {
        Node {
            name,
            attrs: Vec::new(),
            text: None,
            children: Vec::new(),
        }
    }

    /// Sets an attribute.
    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Node {
        self.attrs.push((name, value.to_string()));
        self
    }

    /// Adds a nested element.
    pub fn child(mut self, node: Node) -> Node {
        self.children.push(node);
        self
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", escape(v));
        }
        if self.text.is_none() && self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(t) = &self.text {
            out.push_str(&escape(t));
        }
        for c in &self.children {
            c.write(out);
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A whole TwiML answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    verbs: Vec<Node>,
}

impl Response {
    /// An empty answer (`<Response/>`: Twilio does nothing more).
    pub fn new() -> Response {
        Response::default()
    }

    /// Appends a verb.
    pub fn push(&mut self, verb: Node) -> &mut Response {
        self.verbs.push(verb);
        self
    }

    /// Appends a verb (builder form).
    pub fn with(mut self, verb: Node) -> Response {
        self.verbs.push(verb);
        self
    }

    /// Appends another answer's verbs.
    pub fn extend(&mut self, other: Response) {
        self.verbs.extend(other.verbs);
    }

    /// The document.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let root = Node {
            name: "Response",
            attrs: Vec::new(),
            text: None,
            children: self.verbs.clone(),
        };
        root.write(&mut out);
        out
    }
}

/// How speech sounds: Twilio's `voice` and `language` attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// e.g. `Polly.Naja` (Danish), `Google.da-DK-Standard-A`, `alice`.
    pub voice: String,
    /// e.g. `da-DK`.
    pub language: String,
}

/// `<Say>`.
pub fn say(text: &str, voice: &Voice) -> Node {
    let mut n = Node::new("Say")
        .attr("voice", &voice.voice)
        .attr("language", &voice.language);
    n.text = Some(text.to_string());
    n
}

/// `<Play>` of an audio URL.
pub fn play(url: &str) -> Node {
    let mut n = Node::new("Play");
    n.text = Some(url.to_string());
    n
}

/// `<Pause length>`.
pub fn pause(seconds: u32) -> Node {
    Node::new("Pause").attr("length", seconds)
}

/// `<Redirect method="POST">`.
pub fn redirect(url: &str) -> Node {
    let mut n = Node::new("Redirect").attr("method", "POST");
    n.text = Some(url.to_string());
    n
}

/// `<Hangup/>`.
pub fn hangup() -> Node {
    Node::new("Hangup")
}

/// `<Message>` (an SMS reply).
pub fn message(text: &str) -> Node {
    let mut n = Node::new("Message");
    n.text = Some(text.to_string());
    n
}

/// `<Gather input="dtmf">` posting the keys to `action`.
pub fn gather(action: &str, timeout_s: u32) -> Node {
    Node::new("Gather")
        .attr("input", "dtmf")
        .attr("action", action)
        .attr("method", "POST")
        .attr("timeout", timeout_s)
}

/// `<Record>` posting to `action`; the file is announced to
/// `status_callback` when Twilio has it.
pub fn record(action: &str, status_callback: &str, max_length_s: u32, finish_on_key: &str) -> Node {
    Node::new("Record")
        .attr("action", action)
        .attr("method", "POST")
        .attr("maxLength", max_length_s)
        .attr("timeout", 5)
        .attr("finishOnKey", finish_on_key)
        .attr("playBeep", "true")
        .attr("trim", "trim-silence")
        .attr("recordingStatusCallback", status_callback)
        .attr("recordingStatusCallbackMethod", "POST")
        .attr("recordingStatusCallbackEvent", "completed")
}

/// `<Dial>` around one noun.
pub fn dial(noun: Node) -> Node {
    Node::new("Dial").child(noun)
}

/// `<Conference>` noun with its room name.
pub fn conference(name: &str) -> Node {
    let mut n = Node::new("Conference");
    n.text = Some(name.to_string());
    n
}

/// `<Number>` noun.
pub fn number(e164: &str) -> Node {
    let mut n = Node::new("Number");
    n.text = Some(e164.to_string());
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let v = Voice {
            voice: "Polly.Naja".into(),
            language: "da-DK".into(),
        };
        let xml = Response::new()
            .with(gather("/g?a=1&b=2", 8).child(say("Tast 1 <eller> 2 & \"3\"", &v)))
            .with(hangup())
            .to_xml();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Gather input=\"dtmf\" action=\"/g?a=1&amp;b=2\" method=\"POST\" timeout=\"8\">\
             <Say voice=\"Polly.Naja\" language=\"da-DK\">Tast 1 &lt;eller&gt; 2 &amp; &quot;3&quot;</Say>\
             </Gather><Hangup/></Response>"
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        assert_eq!(doc.root_element().tag_name().name(), "Response");
    }

    #[test]
    fn empty_response_is_valid() {
        assert_eq!(
            Response::new().to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
        );
    }
}
