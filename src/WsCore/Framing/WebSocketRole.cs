namespace WsCore.Framing;

/// <summary>Which end of the connection this endpoint is: it decides the masking rules (RFC 6455 §5.1).</summary>
public enum WebSocketRole
{
    /// <summary>The server: receives masked frames, sends unmasked ones, closes the TCP connection first.</summary>
    Server,
    /// <summary>The client: receives unmasked frames, sends masked ones.</summary>
    Client,
}
