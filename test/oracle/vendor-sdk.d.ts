// Vendor SDK files the oracles import by path that ship without type declarations. Each oracle
// states the shape it relies on where it uses the module.
declare module "@baiducloud/sdk/src/auth.js" {
  const Auth: unknown;
  export default Auth;
}
declare module "@baiducloud/sdk/src/strings.js" {
  const strings: unknown;
  export default strings;
}
declare module "@alicloud/pop-core/lib/roa.js" {
  const ROAClient: unknown;
  export default ROAClient;
}
