//! The codec of every generated client and server: prost's, except that a message that
//! does not decode (a string that is not UTF-8, a truncated field, nesting past prost's
//! recursion limit) is refused as INVALID_ARGUMENT, the caller's error, naming the
//! field where it broke. gRPC's own table calls it INTERNAL, which would page the
//! operator for every bad request and tell the integrator it was our fault. (A client
//! decoding a broken answer reports it the same way; our servers never send one.)

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// What the message of an undecodable request starts with; [`undecodable_field`] reads
/// the field back (the server adds the google.rpc details, in its own language).
pub const UNDECODABLE: &str = "the request does not decode";

/// Prost's codec with the decode errors of [`WenmingDecoder`].
#[derive(Debug)]
pub struct WenmingCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for WenmingCodec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
        }
    }
}

impl<T, U> tonic::codec::Codec for WenmingCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = WenmingDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        WenmingDecoder {
            inner: self.inner.decoder(),
            _pd: PhantomData,
        }
    }
}

/// Decodes as prost does; a failure becomes INVALID_ARGUMENT.
#[derive(Debug)]
pub struct WenmingDecoder<U> {
    inner: ProstDecoder<U>,
    _pd: PhantomData<U>,
}

impl<U: Message + Default> Decoder for WenmingDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(buf).map_err(|status| {
            let reason = status.message();
            let field = field_of(reason);
            Status::invalid_argument(format!("{UNDECODABLE}: {field}: {reason}"))
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}

/// The field path in prost's description, which names the innermost field first
/// ("failed to decode Protobuf message: Unit.display_name: CreateUnitRequest.unit:
/// invalid string value: …" is `unit.display_name`), or `""` when it names none.
fn field_of(reason: &str) -> String {
    let rest = reason
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(reason);
    let mut path = Vec::new();
    for segment in rest.split(": ") {
        match segment.split_once('.') {
            Some((message, field))
                if !message.is_empty()
                    && message.chars().all(|c| c.is_ascii_alphanumeric())
                    && !field.is_empty()
                    && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                path.push(field);
            }
            _ => break,
        }
    }
    path.reverse();
    path.join(".")
}

/// The field an undecodable request broke at, from its status message (`Some("")` when
/// prost named none), or `None` for any other message.
pub fn undecodable_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix(UNDECODABLE)?.strip_prefix(": ")?;
    Some(rest.split_once(": ").map_or("", |(field, _)| field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_path_is_read_from_prosts_description() {
        assert_eq!(
            field_of(
                "failed to decode Protobuf message: Unit.display_name: CreateUnitRequest.unit: \
                 invalid string value: data is not UTF-8 encoded"
            ),
            "unit.display_name"
        );
        assert_eq!(
            field_of("failed to decode Protobuf message: invalid varint"),
            ""
        );
        let message = format!("{UNDECODABLE}: unit.display_name: whatever: it said");
        assert_eq!(undecodable_field(&message), Some("unit.display_name"));
        assert_eq!(undecodable_field(&format!("{UNDECODABLE}: : x")), Some(""));
        assert_eq!(undecodable_field("unit.name: bad"), None);
    }
}
