namespace WsCore.Handshake;

/// <summary>
/// Writes the request that opens a tunnel through an HTTP proxy (RFC 9110 §9.3.6): <c>CONNECT host:port HTTP/1.1</c>,
/// Host, and Proxy-Authorization when credentials are given.
/// </summary>
internal static class ProxyConnectRequestWriter
{
    /// <summary>The request head for a tunnel to <paramref name="authority"/>.</summary>
    /// <param name="authority">Host and port of the destination, an IPv6 address in brackets: <c>example.com:443</c>, <c>[::1]:80</c>.</param>
    /// <param name="proxyAuthorization">The Proxy-Authorization value (e.g. <c>Basic dXNlcjpwYXNz</c>), or null.</param>
    /// <exception cref="ArgumentException">The authority or the credentials hold characters that cannot go in a request head.</exception>
    internal static byte[] Write(string authority, string? proxyAuthorization)
    {
        if (string.IsNullOrEmpty(authority) || authority.AsSpan().ContainsAnyExcept(HttpSyntax.HostChars)) throw new ArgumentException("Invalid authority.", nameof(authority));
        if (proxyAuthorization is not null) HeadWriter.CheckValue(proxyAuthorization, nameof(proxyAuthorization));
        var measure = new HeadWriter(default, measureOnly: true);
        Build(ref measure, authority, proxyAuthorization);
        byte[] head = new byte[measure.Length];
        var writer = new HeadWriter(head, measureOnly: false);
        Build(ref writer, authority, proxyAuthorization);
        return head;
    }

    /// <summary>The Basic credentials of RFC 7617: <c>Basic base64(user ":" password)</c>, in UTF-8.</summary>
    internal static string Basic(string userName, string password) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(userName + ":" + password));

    private static void Build(ref HeadWriter writer, string authority, string? proxyAuthorization)
    {
        writer.Write("CONNECT "u8);
        writer.Write(authority);
        writer.Write(" HTTP/1.1\r\n"u8);
        writer.Header("Host"u8, authority);
        if (proxyAuthorization is not null) writer.Header("Proxy-Authorization"u8, proxyAuthorization);
        writer.Write("\r\n"u8);
    }
}
