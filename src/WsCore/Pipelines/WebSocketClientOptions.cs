using System.Net;
using System.Net.Sockets;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>Options of <see cref="SocketWebSockets.ConnectAsync"/>.</summary>
public sealed record WebSocketClientOptions
{
    /// <summary>The connection's options; <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> decides whether compression is offered.</summary>
    public WebSocketConnectionOptions Connection { get; init; } = WebSocketConnectionOptions.Default;

    /// <summary>Limits of the server's answer.</summary>
    public HandshakeOptions Handshake { get; init; } = HandshakeOptions.Default;

    /// <summary>How long connecting and the opening handshake may take together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The Origin header to send, or null.</summary>
    public string? Origin { get; init; }

    /// <summary>The subprotocols to offer, in order of preference, or null.</summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }
}
