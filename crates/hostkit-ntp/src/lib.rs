//! SNTPv4 client (sans-IO packet codec, offset/delay arithmetic, selection) and drift files.
