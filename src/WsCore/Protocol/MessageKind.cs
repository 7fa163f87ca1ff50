namespace WsCore.Protocol;

/// <summary>The type of a data message.</summary>
public enum MessageKind : byte
{
    /// <summary>UTF-8 text (opcode 0x1).</summary>
    Text = 1,
    /// <summary>Binary data (opcode 0x2).</summary>
    Binary = 2,
}
