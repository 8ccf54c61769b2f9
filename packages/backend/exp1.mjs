import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
function time(name, flops, f, reps=3) {
  f(); // warm
  const ts=[];
  for (let i=0;i<reps;i++){ const t=performance.now(); const r=f(); r.dataSync(); ts.push(performance.now()-t); r.dispose(); }
  ts.sort((a,b)=>a-b); const ms=ts[Math.floor(reps/2)];
  console.log(name.padEnd(40), ms.toFixed(1),'ms', (flops/ms/1e6).toFixed(1),'GFLOP/s');
}
const N=8,H=56,C=64;
const x=tf.randomNormal([N,H,H,C]); const w=tf.randomNormal([3,3,C,C]);
time('conv3x3 fwd 56x56x64', 2*N*H*H*C*C*9, ()=>tf.conv2d(x,w,1,'same'));
// dilated conv check vs cpu
const xs=tf.randomNormal([1,9,9,2]), ws=tf.randomNormal([2,2,2,3]);
const a=tf.conv2d(xs,ws,1,'valid','NHWC',[2,2]).arraySync();
await tf.setBackend('cpu'); const b=tf.conv2d(tf.tensor(xs.arraySync()),tf.tensor(ws.arraySync()),1,'valid','NHWC',[2,2]).arraySync(); await tf.setBackend('wasm');
console.log('dilation diff', Math.max(...a.flat(3).map((v,i)=>Math.abs(v-b.flat(3)[i]))));
// matmul peak
const A=tf.randomNormal([1024,1024]), B=tf.randomNormal([1024,1024]);
time('matmul 1024', 2*1024**3, ()=>tf.matMul(A,B));
const A2=tf.randomNormal([512,4096]), B2=tf.randomNormal([4096,256]);
time('matmul 512x4096x256', 2*512*4096*256, ()=>tf.matMul(A2,B2));
time('matmul transA', 2*512*4096*256, ()=>tf.matMul(tf.transpose(A2),B2,true,false));
const xf = x.reshape([N*H*H, C]); const dy = tf.randomNormal([N*H*H, C]);
time('1x1 dW transpose+matmul', 2*N*H*H*C*C, ()=>tf.tidy(()=>tf.matMul(tf.transpose(xf),dy)));
time('transpose only', N*H*H*C*8, ()=>tf.transpose(xf));
// dW via dilated conv option A for 3x3 s1 same
const dy4=tf.randomNormal([N,H,H,C]);
time('dW 3x3 via conv (optA)', 2*N*H*H*C*C*9, ()=>tf.tidy(()=>{
  const xt=tf.transpose(x,[3,1,2,0]); const f=tf.transpose(dy4,[1,2,0,3]);
  const o=tf.conv2d(xt,f,1,[[0,0],[1,1],[1,1],[0,0]]); return tf.transpose(o,[1,2,0,3]);
}),2);
time('dW 3x3 via 9 taps (optC)', 2*N*H*H*C*C*9, ()=>tf.tidy(()=>{
  const xt=tf.transpose(tf.pad(x,[[0,0],[1,1],[1,1],[0,0]]),[3,0,1,2]); const d=dy4.reshape([N*H*H,C]);
  const outs=[]; for(let i=0;i<3;i++)for(let j=0;j<3;j++){ const s=tf.slice(xt,[0,0,i,j],[C,N,H,H]).reshape([C,N*H*H]); outs.push(tf.matMul(s,d)); }
  return tf.stack(outs).reshape([3,3,C,C]);
}),2);
time('dX 3x3 s1 via conv flipped', 2*N*H*H*C*C*9, ()=>tf.tidy(()=>tf.conv2d(dy4, tf.transpose(tf.reverse(w,[0,1]),[0,1,3,2]),1,'same')));
time('stock conv2dBackpropInput', 2*N*H*H*C*C*9, ()=>tf.conv2dTranspose(dy4, w, [N,H,H,C], 1, 'same'),1);
