//! Envelopes: interchanges, functional groups and transaction sets, checked before anything is
//! translated.
//!
//! Phase: segments → envelope map. A first pass over the file reads only the envelope segments
//! (ISA/GS/ST/SE/GE/IEA), counts what they enclose and checks counts and control numbers. Its
//! result is a map of the file: every transaction set with its byte span and whether its
//! envelope holds. The translation pass then re-reads each transaction set by its span, so memory
//! stays flat in the file size and a broken envelope rejects exactly what it encloses: a wrong GE
//! count rejects that group, not the interchange's other groups, nor the file's other
//! interchanges.
//!
//! ```
//! use tallyman::envelope::x12::scan;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~\
//! ST*850*0001~BEG*00*SA*PO1**20240101~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let map = scan(edi);
//! let tx = &map.interchanges[0].groups[0].transactions[0];
//! assert_eq!(tx.set_id, "850");
//! assert!(map.accepted(0, 0, 0));
//! ```

pub mod x12;
