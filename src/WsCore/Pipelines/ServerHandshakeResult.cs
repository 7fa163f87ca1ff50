using WsCore.Compression;
using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>The outcome of <see cref="PipeHandshake.AcceptAsync"/>: what was asked, what was answered, what was agreed.</summary>
public sealed class ServerHandshakeResult
{
    internal ServerHandshakeResult(HandshakeRequest? request, ServerHandshakeDecision decision, ServerHandshakeResponse? response, HandshakeRequestError error)
    {
        Request = request;
        Decision = decision;
        Response = response;
        Error = error;
    }

    /// <summary>True when the 101 answer was sent: the transport now carries WebSocket frames.</summary>
    public bool IsAccepted => Error == HandshakeRequestError.None && Response is { IsAccepted: true };

    /// <summary>The validated request (null when it was malformed).</summary>
    public HandshakeRequest? Request { get; }

    /// <summary>The policy's decision on the valid request (default when the request was malformed).</summary>
    public ServerHandshakeDecision Decision { get; }

    /// <summary>The answer that was sent for a valid request (null when the request was malformed: then a rejection for <see cref="Error"/> was sent).</summary>
    public ServerHandshakeResponse? Response { get; }

    /// <summary>Why the request was malformed, or <see cref="HandshakeRequestError.None"/>.</summary>
    public HandshakeRequestError Error { get; }

    /// <summary>The agreed subprotocol (one the client offered), or null.</summary>
    public string? Subprotocol => Response?.Subprotocol;

    /// <summary>
    /// The agreed permessage-deflate parameters, or null when the connection runs without compression: pass them to the
    /// connection (<see cref="WebSocketConnection(System.IO.Pipelines.IDuplexPipe, WsCore.Framing.WebSocketRole, WebSocketConnectionOptions?, PerMessageDeflateParameters?)"/>).
    /// </summary>
    public PerMessageDeflateParameters? PerMessageDeflate => Response?.PerMessageDeflate;
}
