using System.Runtime.CompilerServices;

namespace WsCore.Framing;

/// <summary>Classification helpers for <see cref="WebSocketOpcode"/>.</summary>
public static class WebSocketOpcodes
{
    /// <summary>True for close, ping and pong (and reserved control opcodes 11-15): opcodes with the high bit set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsControl(WebSocketOpcode opcode) => ((byte)opcode & 0x8) != 0;

    /// <summary>True for the six opcodes RFC 6455 defines; false for the reserved values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDefined(WebSocketOpcode opcode) => (byte)opcode is <= 2 or (>= 8 and <= 10);
}
