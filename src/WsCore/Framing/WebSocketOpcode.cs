using System.Runtime.CompilerServices;

namespace WsCore.Framing;

/// <summary>The frame opcodes of RFC 6455 §5.2 (values 3-7 and 11-15 are reserved and never valid on the wire).</summary>
public enum WebSocketOpcode : byte
{
    /// <summary>A continuation frame of a fragmented message.</summary>
    Continuation = 0x0,
    /// <summary>The first (or only) frame of a text message.</summary>
    Text = 0x1,
    /// <summary>The first (or only) frame of a binary message.</summary>
    Binary = 0x2,
    /// <summary>A close control frame.</summary>
    Close = 0x8,
    /// <summary>A ping control frame.</summary>
    Ping = 0x9,
    /// <summary>A pong control frame.</summary>
    Pong = 0xA,
}
