//! The conversion's tests.

use super::*;

fn links() -> Links {
    let mut links = Links::default();
    links.by_asset.insert(
        "15aae98e-96c6-45f3-906f-1729fa79ebdb".into(),
        "https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-beginsession".into(),
    );
    links
}

#[test]
fn links_are_rewritten_or_reduced_to_their_text() {
    let text = "See <a href=\"https://msdn.microsoft.com/15aae98e-96c6-45f3-906f-1729fa79ebdb\">BeginSession</a> and <a href=\"https://msdn.microsoft.com/da86cf89-885b-42bc-9fcb-0c9114a36f78\">SYNC_E_INVALIDOPERATION</a>, [Windows Sync](../_winsync) and <a href=\"https://docs.microsoft.com/windows/desktop/api/syncmgr/nn-syncmgr-isyncmgrcontrol\">ISyncMgrControl</a>.";
    assert_eq!(
        to_rustdoc(text, &links()),
        "See [BeginSession](https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-beginsession) and SYNC_E_INVALIDOPERATION, Windows Sync and [ISyncMgrControl](https://learn.microsoft.com/windows/win32/api/syncmgr/nn-syncmgr-isyncmgrcontrol)."
    );
}

#[test]
fn emphasis_code_brackets_and_stray_angles_are_made_safe() {
    let text = "<b>Note</b>  The <i>pSessionState </i> value [in] is <code>a[0] < b</code>; see http://example.com/x. A <guid> here.";
    assert_eq!(
        to_rustdoc(text, &links()),
        "**Note**  The *pSessionState*  value \\[in\\] is `a[0] < b`; see <http://example.com/x>. A &lt;guid&gt; here."
    );
}

#[test]
fn fences_get_safe_labels_and_indentation_goes() {
    let text = "Text\n\n    indented\n\n```\nlet x = 1;\n```\n\n```cpp\n  int x;\n```";
    assert_eq!(
        to_rustdoc(text, &links()),
        "Text\n\nindented\n\n```text\nlet x = 1;\n```\n\n```cpp\n  int x;\n```"
    );
}

#[test]
fn return_code_tables_become_a_list_and_other_tables_markdown() {
    let text = "The possible return codes.\n\n<table>\n<tr>\n<th>Return code</th>\n<th>Description</th>\n</tr>\n<tr>\n<td width=\"40%\">\n<dl>\n<dt><b>S_OK</b></dt>\n</dl>\n</td>\n<td width=\"60%\">\nThe method\nsucceeded.\n\n</td>\n</tr>\n<tr><td><dl><dt><b>Provider-determined error codes</b></dt></dl></td><td></td></tr>\n</table>\n&nbsp;";
    let (codes, prose) = return_codes(text, &links());
    assert_eq!(
        codes,
        [
            ("S_OK".to_owned(), "The method succeeded.".to_owned()),
            ("Provider-determined error codes".to_owned(), String::new())
        ]
    );
    assert_eq!(prose, "The possible return codes.");
    let table = to_rustdoc(
        "<table><tr><th>A</th><th>B</th></tr><tr><td>x | y</td><td><b>z</b></td></tr></table>",
        &links(),
    );
    assert_eq!(table, "| A | B |\n| --- | --- |\n| x \\| y | **z** |");
}

#[test]
fn a_one_column_table_framing_code_is_its_code() {
    let text = "<table>\n<tr>\n<th>C++</th>\n</tr>\n<tr>\n<td>\n<pre>if (a &lt; b) {\n    f();\n}</pre>\n</td>\n</tr>\n</table>";
    assert_eq!(
        to_rustdoc(text, &links()),
        "```text\nif (a < b) {\n    f();\n}\n```"
    );
}

#[test]
fn type_lines_and_pre_blocks() {
    assert_eq!(
        drop_type_line(&to_rustdoc(
            "Type: <b>HRESULT</b>\n\nIf it succeeds.",
            &links()
        )),
        "If it succeeds."
    );
    assert_eq!(
        to_rustdoc("Before<pre>int &lt;x&gt;;</pre>after", &links()),
        "Before\n\n```text\nint <x>;\n```\n\nafter"
    );
}

/// Pieces the pages are made of, for the property test.
const PIECES: &[&str] = &[
    "<a href=\"https://msdn.microsoft.com/15aae98e-96c6-45f3-906f-1729fa79ebdb\">",
    "</a>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<table>",
    "</table>",
    "<tr>",
    "<td>",
    "</td>",
    "<th>",
    "</th>",
    "<dl>",
    "<dt>",
    "<li>",
    "<br/>",
    "<div class=\"alert\">",
    "</div>",
    "<p>",
    "<!--",
    "-->",
    "<",
    ">",
    "&nbsp;",
    "&lt;",
    "```",
    "```cpp",
    "\n",
    "\n\n",
    "    ",
    "[",
    "]",
    "(",
    ")",
    "[x](../winsync/a.md)",
    "`",
    "https://example.com/a",
    "*",
    "|",
    "é—",
    "Type: ",
    "text ",
];

proptest::proptest! {
    #[test]
    fn any_mix_of_the_pages_pieces_converts_without_panicking(
        picks in proptest::collection::vec(0..PIECES.len(), 0..60)
    ) {
        let text: String = picks.iter().map(|&i| PIECES[i]).collect();
        let links = links();
        let out = to_rustdoc(&text, &links);
        let (_, prose) = return_codes(&text, &links);
        // Outside fences and inline code, nothing rustdoc reads as an HTML tag is left.
        for converted in [out, prose] {
            let mut fence: Option<String> = None;
            for line in converted.lines() {
                // A fence closes at its bare marker; a marker with a label inside is text.
                let ticks = line.bytes().take_while(|b| *b == b'`').count();
                match &fence {
                    Some(open) if line == open => {
                        fence = None;
                        continue;
                    }
                    None if ticks >= 3 => {
                        fence = Some(line[..ticks].to_owned());
                        continue;
                    }
                    _ => {}
                }
                let in_fence = fence.is_some();
                if !in_fence && !line.contains('`') {
                    proptest::prop_assert!(!line.contains('<') || line.contains("<http"), "{line:?} in {converted:?} from {text:?}");
                }
            }
        }
        let _ = crate::parse::pages::parse("p.md", &format!("---\nUID: NN:a.B\n---\n{text}"));
    }
}
