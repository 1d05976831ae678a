//! The boilerplate of our two `serde` serializers (canonical JSON in [`super::json`], the
//! content hash in [`super::hash`]), written once: serde asks every serializer for the same
//! dozen forwarding methods and four sequence kinds that differ only in name.

/// `serialize_i8` … `serialize_u64` forwarded to `serialize_i128` / `serialize_u128`, inside an
/// `impl serde::Serializer`.
macro_rules! forward_integers {
    () => {
        fn serialize_i8(self, v: i8) -> Result<(), Self::Error> {
            self.serialize_i128(v.into())
        }
        fn serialize_i16(self, v: i16) -> Result<(), Self::Error> {
            self.serialize_i128(v.into())
        }
        fn serialize_i32(self, v: i32) -> Result<(), Self::Error> {
            self.serialize_i128(v.into())
        }
        fn serialize_i64(self, v: i64) -> Result<(), Self::Error> {
            self.serialize_i128(v.into())
        }
        fn serialize_u8(self, v: u8) -> Result<(), Self::Error> {
            self.serialize_u128(v.into())
        }
        fn serialize_u16(self, v: u16) -> Result<(), Self::Error> {
            self.serialize_u128(v.into())
        }
        fn serialize_u32(self, v: u32) -> Result<(), Self::Error> {
            self.serialize_u128(v.into())
        }
        fn serialize_u64(self, v: u64) -> Result<(), Self::Error> {
            self.serialize_u128(v.into())
        }
    };
}

/// `SerializeSeq`, `SerializeTuple`, `SerializeTupleStruct` and `SerializeTupleVariant` for
/// `$ty`, each element going to `$element(&mut self, &value)` and the end to `$end(self)`.
macro_rules! sequences {
    ($ty:ty, $error:ty, $element:ident, $end:ident) => {
        $crate::model::ser::sequences!(@each $ty, $error, $element, $end,
            SerializeSeq serialize_element, SerializeTuple serialize_element,
            SerializeTupleStruct serialize_field, SerializeTupleVariant serialize_field);
    };
    (@each $ty:ty, $error:ty, $element:ident, $end:ident, $($kind:ident $method:ident),*) => {
        $(
            impl serde::ser::$kind for $ty {
                type Ok = ();
                type Error = $error;
                fn $method<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), $error> {
                    self.$element(value)
                }
                fn end(self) -> Result<(), $error> {
                    self.$end()
                }
            }
        )*
    };
}

/// `SerializeStruct` and `SerializeStructVariant` for `$ty`, each field going to
/// `$field(&mut self, key, &value)` and the end to `$end(self)`.
macro_rules! structs {
    ($ty:ty, $error:ty, $field:ident, $end:ident) => {
        $crate::model::ser::structs!(@each $ty, $error, $field, $end,
            SerializeStruct, SerializeStructVariant);
    };
    (@each $ty:ty, $error:ty, $field:ident, $end:ident, $($kind:ident),*) => {
        $(
            impl serde::ser::$kind for $ty {
                type Ok = ();
                type Error = $error;
                fn serialize_field<T: serde::Serialize + ?Sized>(
                    &mut self,
                    key: &'static str,
                    value: &T,
                ) -> Result<(), $error> {
                    self.$field(key, value)
                }
                fn end(self) -> Result<(), $error> {
                    self.$end()
                }
            }
        )*
    };
}

pub(crate) use {forward_integers, sequences, structs};
