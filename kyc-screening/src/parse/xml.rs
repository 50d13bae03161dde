//! A small owned XML tree over `quick-xml`, with truncation detection.

use quick_xml::events::Event;

use crate::error::{Result, ScreeningError};

/// One element: local name (namespace prefix dropped), attributes, children,
/// concatenated text, and the 1-based line where it starts.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
    pub(crate) text: String,
    pub(crate) line: u64,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The trimmed text of this element, if not empty.
    pub(crate) fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed text of the first child called `name`, if not empty.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(Node::value)
    }

    /// Follows a path of child names.
    pub(crate) fn path<'a>(&'a self, path: &[&'a str]) -> Vec<&'a Node> {
        let mut current = vec![self];
        for step in path {
            current = current.into_iter().flat_map(|n| n.children(step)).collect();
        }
        current
    }
}

fn line_at(bytes: &[u8], pos: usize) -> u64 {
    let end = pos.min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// Counts lines incrementally (positions only grow while reading).
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, pos: usize) -> u64 {
        let end = pos.min(self.bytes.len());
        if end >= self.pos {
            self.line += self.bytes[self.pos..end].iter().filter(|b| **b == b'\n').count() as u64;
            self.pos = end;
            self.line
        } else {
            line_at(self.bytes, pos)
        }
    }
}

fn local(name: &[u8]) -> String {
    let local = match name.iter().rposition(|b| *b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    String::from_utf8_lossy(local).into_owned()
}

/// Parses a whole document into its root element. Input must be UTF-8 (a BOM
/// is skipped). A document that ends with open elements, or inside a tag, is
/// [`ScreeningError::Truncated`]; any other syntax error is `Malformed`.
pub(crate) fn parse(bytes: &[u8], file: &str) -> Result<Node> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(ScreeningError::malformed(file, 0, "not UTF-8"));
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut lines = Lines { bytes, pos: 0, line: 1 };
    loop {
        let pos = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position() as usize;
                // The `Unclosed*` syntax errors are only raised at end of input.
                if matches!(e, quick_xml::Error::Syntax(ref s) if !matches!(s, quick_xml::errors::SyntaxError::InvalidBangMarkup))
                {
                    return Err(ScreeningError::truncated(
                        file,
                        format!("XML ends inside markup near line {}", line_at(bytes, at)),
                    ));
                }
                return Err(ScreeningError::malformed(
                    file,
                    line_at(bytes, at),
                    format!("XML: {e}"),
                ));
            }
        };
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(ScreeningError::malformed(
                        file,
                        line_at(bytes, pos),
                        "content after the root element",
                    ));
                }
                stack.push(element(&start, lines.at(pos), file)?);
            }
            Event::Empty(start) => {
                let node = element(&start, lines.at(pos), file)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => {
                        return Err(ScreeningError::malformed(
                            file,
                            line_at(bytes, pos),
                            "content after the root element",
                        ));
                    }
                }
            }
            Event::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(ScreeningError::malformed(
                        file,
                        line_at(bytes, pos),
                        "unexpected end tag",
                    ));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(text) => {
                if let Some(node) = stack.last_mut() {
                    let t = text.xml_content().map_err(|e| {
                        ScreeningError::malformed(
                            file,
                            line_at(bytes, pos),
                            format!("XML text: {e}"),
                        )
                    })?;
                    node.text.push_str(&t);
                }
            }
            Event::CData(data) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&data.into_inner()));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(ScreeningError::malformed(
                                    file,
                                    line_at(bytes, pos),
                                    format!("unknown XML entity &{name};"),
                                ));
                            }
                        }
                    }
                    Err(e) => {
                        return Err(ScreeningError::malformed(
                            file,
                            line_at(bytes, pos),
                            format!("XML character reference: {e}"),
                        ));
                    }
                };
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(ScreeningError::truncated(
            file,
            format!(
                "XML ends with {} open element(s), the innermost <{}>",
                stack.len(),
                stack.last().map(|n| n.name.as_str()).unwrap_or("")
            ),
        ));
    }
    root.ok_or_else(|| ScreeningError::truncated(file, "no XML root element"))
}

fn element(start: &quick_xml::events::BytesStart<'_>, line: u64, file: &str) -> Result<Node> {
    let mut node = Node { name: local(start.name().as_ref()), line, ..Node::default() };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| {
            ScreeningError::malformed(file, node.line, format!("XML attribute: {e}"))
        })?;
        let value = attr.unescape_value().map_err(|e| {
            ScreeningError::malformed(file, node.line, format!("XML attribute value: {e}"))
        })?;
        node.attrs.push((local(attr.key.as_ref()), value.into_owned()));
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_entities() {
        let doc = br#"<?xml version="1.0"?><a x="1 &amp; 2"><b>T&amp;C &#x41;</b><c/></a>"#;
        let root = parse(doc, "t.xml").unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.text_of("b"), Some("T&C A"));
        assert!(root.child("c").is_some());
    }

    #[test]
    fn rejects_truncated_documents() {
        let doc = b"<a><b>text</b><c>more";
        let err = parse(doc, "t.xml").unwrap_err();
        assert_eq!(err.code(), "list_truncated");
        let err = parse(b"<a><b>x</b><c", "t.xml").unwrap_err();
        assert_eq!(err.code(), "list_truncated");
        assert_eq!(parse(b"", "t.xml").unwrap_err().code(), "list_truncated");
    }

    #[test]
    fn rejects_mismatched_tags() {
        let err = parse(b"<a><b></c></a>", "t.xml").unwrap_err();
        assert_eq!(err.code(), "list_malformed");
    }
}
