//! The phone switch end to end: the real shell on loopback sockets, driven by in-process user
//! agents over real UDP and RTP.

mod calls;
mod tcp;
mod ua;
