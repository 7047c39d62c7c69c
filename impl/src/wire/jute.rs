//! Jute, ZooKeeper's record encoding: big-endian `int` (4 bytes), `long` (8), `boolean` (1),
//! `buffer` and `ustring` as a 4-byte length then the bytes (-1 for null), `vector` as a
//! 4-byte count then the elements (-1 for null).
//!
//! The reader never trusts a length: a buffer, string or vector that claims more than the
//! bytes left is an error, found before anything is allocated, so hostile input costs
//! nothing but the error.

/// Why bytes are not the record they claim to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JuteError {
    /// The body ends before a value does (or a length or count claims more than is left).
    #[error("{what} needs {need} bytes at offset {at}, {have} remain")]
    Short {
        /// The jute type being read: `int`, `long`, `boolean`, `buffer`, `ustring`, `vector`.
        what: &'static str,
        /// The byte offset where the missing bytes start (of the count, for a vector).
        at: usize,
        /// The bytes the value needs (for a vector, its count times the least element size).
        need: usize,
        /// The bytes left in the body.
        have: usize,
    },
    /// A length or count below -1 (-1 itself is null).
    #[error("{what} has negative length {len} at offset {at}")]
    NegativeLength {
        /// The jute type being read: `buffer`, `ustring` or `vector`.
        what: &'static str,
        /// The byte offset of the length prefix.
        at: usize,
        /// The length as read.
        len: i32,
    },
    /// The record was read whole but bytes remain in the body.
    #[error("{left} bytes left over after the record")]
    Trailing {
        /// How many bytes are left over.
        left: usize,
    },
    /// Any other reason, in words.
    #[error("{0}")]
    Invalid(String),
}

/// Reads jute values from a packet body.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`, a packet body without its length prefix.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// How many bytes are left unread.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The record must have used every byte.
    pub fn finish(&self) -> Result<(), JuteError> {
        match self.remaining() {
            0 => Ok(()),
            left => Err(JuteError::Trailing { left }),
        }
    }

    fn take(&mut self, what: &'static str, need: usize) -> Result<&'a [u8], JuteError> {
        if need > self.remaining() {
            return Err(JuteError::Short {
                what,
                at: self.at,
                need,
                have: self.remaining(),
            });
        }
        let out = &self.bytes[self.at..self.at + need];
        self.at += need;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], JuteError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(what, N)?);
        Ok(a)
    }

    /// A jute `int`: 4 bytes, big-endian.
    pub fn int(&mut self) -> Result<i32, JuteError> {
        self.array("int").map(i32::from_be_bytes)
    }

    /// A jute `long`: 8 bytes, big-endian.
    pub fn long(&mut self) -> Result<i64, JuteError> {
        self.array("long").map(i64::from_be_bytes)
    }

    /// A jute `boolean`: one byte, and any byte but 0 is true, as ZooKeeper reads it
    /// (`DataInput.readBoolean`), so a client sending 2 for "watch" gets its watch.
    pub fn boolean(&mut self) -> Result<bool, JuteError> {
        self.array::<1>("boolean").map(|[b]| b != 0)
    }

    /// A length or count: -1 is null (`None`), any other negative value an error.
    fn len(&mut self, what: &'static str) -> Result<Option<usize>, JuteError> {
        let at = self.at;
        match self.int()? {
            -1 => Ok(None),
            len if len < 0 => Err(JuteError::NegativeLength { what, at, len }),
            len => Ok(Some(len as usize)),
        }
    }

    /// A buffer; null reads as empty (ZooKeeper's servers treat them alike).
    pub fn buffer(&mut self) -> Result<Vec<u8>, JuteError> {
        match self.len("buffer")? {
            None => Ok(Vec::new()),
            Some(n) => self.take("buffer", n).map(<[u8]>::to_vec),
        }
    }

    /// A string; null reads as `None`. Bytes that are not UTF-8 become U+FFFD, as Java's
    /// `new String(bytes, UTF_8)` makes them in ZooKeeper: a path holding one is then refused
    /// by path validation (`BadArguments`), not by closing the connection.
    pub fn ustring_opt(&mut self) -> Result<Option<String>, JuteError> {
        let Some(n) = self.len("ustring")? else {
            return Ok(None);
        };
        let bytes = self.take("ustring", n)?;
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A string; null reads as empty.
    pub fn ustring(&mut self) -> Result<String, JuteError> {
        self.ustring_opt().map(Option::unwrap_or_default)
    }

    /// A vector of `item`s; null reads as empty. The count is checked against the bytes
    /// left (every element takes at least `min_item_len` bytes) before anything is reserved.
    pub fn vector<T>(
        &mut self,
        min_item_len: usize,
        mut item: impl FnMut(&mut Reader<'a>) -> Result<T, JuteError>,
    ) -> Result<Vec<T>, JuteError> {
        let at = self.at;
        let Some(n) = self.len("vector")? else {
            return Ok(Vec::new());
        };
        let need = n.saturating_mul(min_item_len.max(1));
        if need > self.remaining() {
            return Err(JuteError::Short {
                what: "vector",
                at,
                need,
                have: self.remaining(),
            });
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

/// Writes jute values.
#[derive(Default)]
pub struct Writer {
    /// What has been written so far: a packet body, still to be framed.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// An empty writer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Writer {
        Writer {
            bytes: Vec::with_capacity(n),
        }
    }

    /// A jute `int`: 4 bytes, big-endian.
    pub fn int(&mut self, v: i32) -> &mut Writer {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A jute `long`: 8 bytes, big-endian.
    pub fn long(&mut self, v: i64) -> &mut Writer {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A jute `boolean`: one byte, 1 for true, 0 for false.
    pub fn boolean(&mut self, v: bool) -> &mut Writer {
        self.bytes.push(u8::from(v));
        self
    }

    /// A length prefix. Lengths come from values this server holds, all far below 2 GiB
    /// (`jute.maxbuffer` bounds every packet), so saturating never changes a real one.
    fn len(&mut self, n: usize) -> &mut Writer {
        self.int(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// A jute `buffer`: its length, then its bytes. Never null: use `null` for that.
    pub fn buffer(&mut self, v: &[u8]) -> &mut Writer {
        self.len(v.len());
        self.bytes.extend_from_slice(v);
        self
    }

    /// A jute `ustring`: its UTF-8 length in bytes, then the bytes.
    pub fn ustring(&mut self, v: &str) -> &mut Writer {
        self.buffer(v.as_bytes())
    }

    /// A null `buffer`, `ustring` or `vector`: the length -1 and nothing after it.
    pub fn null(&mut self) -> &mut Writer {
        self.int(-1)
    }

    /// A jute `vector` of `ustring`s.
    pub fn strings<'s>(&mut self, items: impl ExactSizeIterator<Item = &'s str>) -> &mut Writer {
        self.len(items.len());
        for s in items {
            self.ustring(s);
        }
        self
    }

    /// A jute `vector`: the count, then each element as `item` writes it.
    pub fn vector<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Writer, &T)) -> &mut Writer {
        self.len(items.len());
        for x in items {
            item(self, x);
        }
        self
    }
}
