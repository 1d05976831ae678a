//! Criterion benchmarks of the X12 path on generated 850s: tokenizing, the envelope pass, and
//! full translation (envelope, grammar validation, mapping). For MiB/s and peak RSS on a
//! 100 MiB file, use `cargo run --release --example tallyman-bench -- all`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tallyman::grammar::GrammarSet;
use tallyman::map::driver::translate_all;
use tallyman::map::{Options, Status};
use tallyman::syntax::x12::{Reader, X12};

fn input(mib: u64) -> Vec<u8> {
    let mut v = Vec::new();
    tallyman::synthetic::x12_850s(&mut v, mib << 20, 42).expect("in memory");
    v
}

fn benches(c: &mut Criterion) {
    let data = input(8);
    let grammars = GrammarSet::builtin().expect("built-in grammars");
    let mut g = c.benchmark_group("x12_850");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("tokenize", |b| {
        b.iter(|| Reader::new(&data).filter(|s| s.is_ok()).count())
    });
    g.bench_function("envelope", |b| {
        b.iter(|| tallyman::envelope::x12::scan(&data).interchanges.len())
    });
    g.bench_function("translate", |b| {
        b.iter(|| {
            let (_, outcomes) = translate_all::<X12>(&data, &grammars, &Options::default());
            assert!(outcomes.iter().all(|o| o.status == Status::Accepted));
            outcomes.len()
        })
    });
    g.finish();
}

criterion_group!(x12, benches);
criterion_main!(x12);
