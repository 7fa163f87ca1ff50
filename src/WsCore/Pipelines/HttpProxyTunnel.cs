using System.Net;
using System.Net.Sockets;
using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>
/// Opens a tunnel through an HTTP proxy on a connected socket: <c>CONNECT host:port</c>, with Basic credentials when
/// the proxy has some, and reads the proxy's answer (<see cref="ProxyConnectResponseReader"/>). After a 2xx the socket
/// carries the destination's bytes (TLS, then the opening handshake).
/// </summary>
internal static class HttpProxyTunnel
{
    /// <summary>Null when the tunnel is open, or why not (a refusal names the proxy's status).</summary>
    /// <param name="socket">Connected to the proxy.</param>
    /// <param name="proxy">The proxy's URI (for messages and its user info).</param>
    /// <param name="credentials">The proxy's credentials (<see cref="IWebProxy.Credentials"/>), or null.</param>
    /// <param name="authority">The destination, <c>host:port</c>.</param>
    /// <param name="options">Limits of the proxy's answer.</param>
    /// <param name="cancellationToken">The connect's deadline.</param>
    internal static async ValueTask<WebSocketConnectException?> OpenAsync(Socket socket, Uri proxy, ICredentials? credentials, string authority,
        HandshakeOptions options, CancellationToken cancellationToken)
    {
        byte[] request = ProxyConnectRequestWriter.Write(authority, Authorization(proxy, credentials));
        await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var reader = new ProxyConnectResponseReader(options);
        byte[] buffer = new byte[1024];
        while (true)
        {
            int received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                return new WebSocketConnectException(WebSocketConnectFailure.Proxy, $"The proxy {proxy.Authority} closed the connection before it answered CONNECT {authority}.",
                    reader.StatusCode, HandshakeResponseError.IncompleteResponse);
            }
            HandshakeReadStatus status = reader.Read(buffer.AsSpan(0, received), out int consumed);
            switch (status)
            {
                case HandshakeReadStatus.Done when consumed == received:
                    return null;
                case HandshakeReadStatus.Done:
                    // Nothing was sent through the tunnel yet, so nothing can come back through it.
                    return new WebSocketConnectException(WebSocketConnectFailure.Proxy, $"The proxy {proxy.Authority} sent bytes after its answer to CONNECT {authority}.", reader.StatusCode);
                case HandshakeReadStatus.Rejected when reader.Error == HandshakeResponseError.UnexpectedStatusCode:
                    string reason = reader.ReasonPhrase.Length > 0 ? " " + reader.ReasonPhrase : "";
                    return new WebSocketConnectException(WebSocketConnectFailure.Proxy,
                        $"The proxy {proxy.Authority} refused CONNECT {authority}: HTTP {reader.StatusCode}{reason}.", reader.StatusCode, reader.Error);
                case HandshakeReadStatus.Rejected:
                    return new WebSocketConnectException(WebSocketConnectFailure.Proxy,
                        $"The proxy {proxy.Authority} answered CONNECT {authority} with something that is not a valid HTTP/1.x response ({reader.Error}).", reader.StatusCode, reader.Error);
            }
        }
    }

    /// <summary>Basic credentials (RFC 7617) from the proxy's credentials, else from the user info of its URI; null when there are none.</summary>
    internal static string? Authorization(Uri proxy, ICredentials? credentials)
    {
        NetworkCredential? credential = credentials?.GetCredential(proxy, "Basic");
        string user, password;
        if (credential is not null && credential.UserName.Length > 0)
        {
            user = credential.Domain.Length > 0 ? credential.Domain + "\\" + credential.UserName : credential.UserName;
            password = credential.Password;
        }
        else if (proxy.UserInfo.Length > 0)
        {
            int colon = proxy.UserInfo.IndexOf(':');
            user = Uri.UnescapeDataString(colon < 0 ? proxy.UserInfo : proxy.UserInfo[..colon]);
            password = colon < 0 ? "" : Uri.UnescapeDataString(proxy.UserInfo[(colon + 1)..]);
        }
        else
        {
            return null;
        }
        return ProxyConnectRequestWriter.Basic(user, password);
    }
}
