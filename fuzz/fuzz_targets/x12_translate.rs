//! The whole X12 translate path (envelope pass, grammar validation, mapping) on arbitrary bytes
//! and on mutations of a valid 850: no panic; every finding points inside the input; outcomes
//! come in file order; accepted documents serialize.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tallyman::grammar::GrammarSet;
use tallyman::map::x12::{Options, Status, translate_all};

fn grammars() -> &'static GrammarSet {
    static G: OnceLock<GrammarSet> = OnceLock::new();
    G.get_or_init(|| GrammarSet::builtin().expect("built-in grammars"))
}

fuzz_target!(|data: &[u8]| {
    let (map, outcomes) = translate_all(data, grammars(), &Options::default());
    for f in map.all_findings() {
        assert!(f.offset <= data.len(), "finding past the input: {f}");
    }
    let mut last = 0;
    for o in &outcomes {
        assert!(o.offset >= last && o.offset <= data.len());
        last = o.offset;
        for f in &o.findings {
            assert!(f.offset <= data.len(), "finding past the input: {f}");
        }
        if o.status == Status::Accepted {
            let d = o.document.as_ref().expect("accepted has a document");
            serde_json::to_string(d).expect("serializes");
        }
    }
    assert_eq!(outcomes.len(), map.transactions().count());
});
