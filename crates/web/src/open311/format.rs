//! The two wire formats of GeoReport v2 and its error shape.
//!
//! A response is built once as a [`Node`] tree and rendered either as XML (mandatory in the
//! spec) or as JSON, its mechanical mapping: the XML container of a list disappears, so list
//! answers are top-level JSON arrays. Ids and codes are always strings; absent optional fields are
//! empty elements in XML and `null` in JSON.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::InternalCause;

/// The format chosen by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// Splits `services.json` into `("services", Json)`. Anything but `.xml` and `.json` is an error,
/// answered in XML (the format every client must read).
pub(crate) fn split_format(file: &str) -> Result<(&str, Format), Failure> {
    let Some((stem, extension)) = file.rsplit_once('.') else {
        return Err(Failure::bad_request("add .xml or .json to the path"));
    };
    let format = match extension.to_ascii_lowercase().as_str() {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return Err(Failure::bad_request(format!("format {extension:?} is not offered; use .xml or .json"))),
    };
    Ok((stem, format))
}

/// A response value: what one XML element holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// XML: one `<item>` child per entry; JSON: an array.
    List { item: &'static str, items: Vec<Node> },
    /// Named fields, in order.
    Object(Vec<(String, Node)>),
}

impl Node {
    pub(crate) fn text(text: impl Into<String>) -> Node {
        Node::Text(text.into())
    }

    pub(crate) fn optional_text(text: Option<impl Into<String>>) -> Node {
        text.map_or(Node::Null, |text| Node::Text(text.into()))
    }

    pub(crate) fn object(fields: Vec<(&str, Node)>) -> Node {
        Node::Object(fields.into_iter().map(|(name, node)| (name.to_owned(), node)).collect())
    }

    pub(crate) fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Text(text) => Value::String(text.clone()),
            Node::Int(number) => Value::from(*number),
            Node::Float(number) => serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number),
            Node::Bool(flag) => Value::Bool(*flag),
            Node::List { items, .. } => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Object(fields) => Value::Object(
                fields.iter().map(|(name, node)| (name.clone(), node.to_json())).collect(),
            ),
        }
    }

    /// The whole XML document with this node as the element `root`.
    pub(crate) fn to_xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        write_element(&mut out, root, self);
        out.push('\n');
        out
    }

    pub(crate) fn render(&self, format: Format, root: &str) -> String {
        match format {
            Format::Xml => self.to_xml(root),
            Format::Json => self.to_json().to_string(),
        }
    }
}

fn write_element(out: &mut String, name: &str, node: &Node) {
    match node {
        Node::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
            return;
        }
        _ => {
            out.push('<');
            out.push_str(name);
            out.push('>');
        }
    }
    match node {
        Node::Null => {}
        Node::Text(text) => escape_into(out, text),
        Node::Int(number) => out.push_str(&number.to_string()),
        Node::Float(number) => out.push_str(&number.to_string()),
        Node::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Node::List { item, items } => {
            for entry in items {
                write_element(out, item, entry);
            }
        }
        Node::Object(fields) => {
            for (field, value) in fields {
                write_element(out, field, value);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            ch if (ch as u32) < 0x20 && !matches!(ch, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            ch => out.push(ch),
        }
    }
}

/// A successful answer.
pub(crate) fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    let mut response = (status, node.render(format, root)).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

/// A failed call: the spec's list of errors with one HTTP status.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) descriptions: Vec<String>,
    /// The cause of a 500, logged once by the middleware and never shown.
    internal: Option<String>,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, description: impl Into<String>) -> Failure {
        Failure { status, descriptions: vec![description.into()], internal: None }
    }

    pub(crate) fn bad_request(description: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, description)
    }

    pub(crate) fn not_found(description: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, description)
    }

    /// Several input errors at once, all answered with 400.
    pub(crate) fn many(descriptions: Vec<String>) -> Failure {
        Failure { status: StatusCode::BAD_REQUEST, descriptions, internal: None }
    }

    pub(crate) fn internal(cause: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            descriptions: vec!["internal error; it has been logged".into()],
            internal: Some(cause.into()),
        }
    }

    pub(crate) fn node(&self) -> Node {
        Node::List {
            item: "error",
            items: self
                .descriptions
                .iter()
                .map(|description| {
                    Node::object(vec![
                        ("code", Node::Int(i64::from(self.status.as_u16()))),
                        ("description", Node::text(description.clone())),
                    ])
                })
                .collect(),
        }
    }

    pub(crate) fn into_response(self, format: Format) -> Response {
        let mut response = respond(format, self.status, "errors", &self.node());
        if let Some(cause) = self.internal {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

impl From<store::Error> for Failure {
    fn from(err: store::Error) -> Failure {
        match err {
            store::Error::NotFound => Failure::not_found("not found"),
            store::Error::Conflict(what) => Failure::bad_request(format!("conflicts with existing data ({what})")),
            store::Error::Rule(why) => Failure::bad_request(why),
            store::Error::Connect(_) | store::Error::Database(_) => Failure::internal(err.to_string()),
        }
    }
}
