namespace WsCore.Handshake;

/// <summary>What <see cref="HttpHeadBuffer.Append"/> reached.</summary>
internal enum HeadProgress : byte
{
    NeedMoreData,
    StartLineComplete,
    Complete,
    Error,
}
