namespace WsCore.Handshake;

/// <summary>Syntax errors and limit violations found while assembling an HTTP/1.1 head.</summary>
internal enum HeadError : byte
{
    None,
    InvalidLineEnding,
    StartLineTooLong,
    HeaderLineTooLong,
    HeadTooLarge,
    TooManyHeaders,
    ObsoleteLineFolding,
    MissingColon,
    WhitespaceBeforeColon,
    InvalidHeaderName,
    InvalidHeaderValue,
}
