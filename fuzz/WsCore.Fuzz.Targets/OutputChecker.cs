using System.Buffers;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Fuzz;

/// <summary>One frame the engine wrote, decoded by <see cref="OutputChecker"/>.</summary>
public readonly record struct WrittenFrame(WebSocketOpcode Opcode, bool Fin, byte[] Payload);

/// <summary>
/// Plays the peer: parses every byte a <see cref="WebSocketProtocol"/> writes with <see cref="FrameHeader.TryRead"/>
/// and checks it is a well-formed frame for the sender's role (masked from a client only, no RSV bits, defined
/// opcodes, short unfragmented control frames, data fragments in order), that close frames carry a payload
/// <see cref="ClosePayload.Read"/> accepts with a code <see cref="CloseCodes.IsValidToSend"/> allows, and that nothing
/// follows a close frame.
/// </summary>
public sealed class OutputChecker
{
    private readonly bool _masked;
    private readonly ArrayBufferWriter<byte> _output = new();
    private int _parsed;
    private bool _closeSeen;
    private bool _inMessage;

    /// <summary>Creates a checker for what an endpoint of <paramref name="senderRole"/> writes.</summary>
    public OutputChecker(WebSocketRole senderRole) => _masked = senderRole == WebSocketRole.Client;

    /// <summary>The buffer the engine writes into.</summary>
    public IBufferWriter<byte> Writer => _output;

    /// <summary>True once a close frame was written.</summary>
    public bool CloseSeen => _closeSeen;

    /// <summary>Parses and checks everything written since the last call; returns the new frames.</summary>
    public List<WrittenFrame> TakeNewFrames()
    {
        var frames = new List<WrittenFrame>();
        ReadOnlySpan<byte> all = _output.WrittenSpan;
        while (_parsed < all.Length)
        {
            ReadOnlySpan<byte> rest = all.Slice(_parsed);
            OperationStatus s = FrameHeader.TryRead(rest, out FrameHeader h, out int headerLength);
            Oracle.Check(s == OperationStatus.Done, "written output does not start with a complete frame header ({0})", s);
            Oracle.Check(h.PayloadLength <= rest.Length - headerLength, "written frame is truncated ({0} payload bytes announced)", h.PayloadLength);
            Oracle.Check(headerLength == h.EncodedLength, "written header does not use the minimal length form");
            Oracle.Check(!_closeSeen, "a {0} frame was written after a close frame", h.Opcode);
            Oracle.Check(h.IsMasked == _masked, "written frame masking is {0} for this role", h.IsMasked);
            Oracle.Check(h.ReservedBits == 0, "written frame has RSV bits {0}", h.ReservedBits);
            Oracle.Check(WebSocketOpcodes.IsDefined(h.Opcode), "written frame has reserved opcode {0}", h.Opcode);
            byte[] payload = rest.Slice(headerLength, (int)h.PayloadLength).ToArray();
            if (h.IsMasked) Masking.Apply(payload, h.MaskKey, 0);
            if (WebSocketOpcodes.IsControl(h.Opcode))
            {
                Oracle.Check(h.Fin, "written control frame without FIN");
                Oracle.Check(payload.Length <= FrameHeader.MaxControlPayloadLength, "written control frame of {0} bytes", payload.Length);
                if (h.Opcode == WebSocketOpcode.Close)
                {
                    ClosePayloadStatus cs = ClosePayload.Read(payload, out ushort code, out _);
                    Oracle.Check(cs == ClosePayloadStatus.Valid, "written close payload is {0}", cs);
                    Oracle.Check(payload.Length == 0 || CloseCodes.IsValidToSend(code), "written close code {0} may not be sent", code);
                    _closeSeen = true;
                }
            }
            else
            {
                Oracle.Check((h.Opcode == WebSocketOpcode.Continuation) == _inMessage, "written data frame {0} out of order", h.Opcode);
                _inMessage = !h.Fin;
            }
            frames.Add(new WrittenFrame(h.Opcode, h.Fin, payload));
            _parsed += headerLength + payload.Length;
        }
        return frames;
    }
}
