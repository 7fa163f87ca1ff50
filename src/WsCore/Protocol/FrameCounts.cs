using System.Runtime.CompilerServices;
using WsCore.Framing;

namespace WsCore.Protocol;

/// <summary>
/// Frame totals, one per opcode RFC 6455 defines (continuation, text, binary, close, ping, pong, in that order): what
/// <see cref="WebSocketProtocol"/> counts as frames are received and written, inline and without allocation.
/// </summary>
[InlineArray(Length)]
internal struct FrameCounts
{
    /// <summary>The number of opcodes counted.</summary>
    public const int Length = 6;

    private long _element;

    /// <summary>The slot of a defined opcode: 0x0-0x2 are 0-2, 0x8-0xA are 3-5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(WebSocketOpcode opcode)
    {
        int o = (int)opcode;
        return o < 8 ? o : o - 5;
    }

    /// <summary>The opcode counted in <paramref name="index"/> (0 to <see cref="Length"/> - 1).</summary>
    public static WebSocketOpcode OpcodeAt(int index) => (WebSocketOpcode)(index < 3 ? index : index + 5);
}
